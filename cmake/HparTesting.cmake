# SPDX-License-Identifier: BSD-3-Clause
# Test helpers: every MPI test goes through hpar_add_mpi_test, so launcher flags, root handling
# and timeouts live in one place (cache variables, not hard-coded per test).

# Their defaults depend on the MPI (HPAR_MPI_FLAVOUR, cmake/HparMpi.cmake). Open MPI: refuses
# root unless told, needs --oversubscribe for np 3 and 4 on a 2-core machine, binds ranks to
# cores at np <= 2, launches faster with the ob1 PML; HPAR_MPIEXEC_CASE_FLAGS adds the quiet
# flag and no wait after a failed rank. MPICH's Hydra: runs as root, oversubscribes and passes
# the environment as it is, binds nothing unless asked.
if(HPAR_MPI_FLAVOUR STREQUAL "mpich")
  set(hpar_preflags "--bind-to;none")
  set(hpar_test_env "")
  set(hpar_case_flags "--bind-to none")
else()
  set(hpar_preflags "--oversubscribe;--bind-to;none")
  set(hpar_test_env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1
                    OMPI_MCA_btl=self,vader OMPI_MCA_rmaps_base_oversubscribe=1)
  set(hpar_case_flags "-q --oversubscribe --bind-to none --mca odls_base_sigkill_timeout 0")
endif()
set(HPAR_MPIEXEC_PREFLAGS "${hpar_preflags}" CACHE STRING
    "Flags for mpiexec in the MPI tests (oversubscription, binding)")
set(HPAR_MPI_TEST_ENV "${hpar_test_env}" CACHE STRING
    "Environment for MPI tests (Open MPI as root, fast launch on one host)")
set(HPAR_MPIEXEC_CASE_FLAGS "${hpar_case_flags}" CACHE STRING
    "Flags for mpiexec in the case tests' plain launches (tests/lib/launch.sh), space-separated")
set(HPAR_MPI_TEST_TIMEOUT 120 CACHE STRING "Default ctest TIMEOUT of an MPI test, seconds")
# Under sanitizers, processes started by mpiexec report Open MPI's and PMIx's own allocations as
# leaks from dlclose'd plugins ("<unknown module>"), which no suppression can name: leak checks
# stay on for the unit tests (see tests/lsan.supp), memory and UB checks stay on everywhere.
if(HPAR_SANITIZE)
  list(APPEND HPAR_MPI_TEST_ENV "ASAN_OPTIONS=detect_leaks=0")
endif()

# hpar_add_mpi_test(NAME name TARGET target NP n THREADS t [TIMEOUT s] [LABELS ...] [ARGS ...])
# Runs `mpiexec -n n <preflags> target <args>` with OMP_NUM_THREADS=t as test name.npN.tT.
function(hpar_add_mpi_test)
  cmake_parse_arguments(T "" "NAME;TARGET;NP;THREADS;TIMEOUT" "LABELS;ARGS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT ${HPAR_MPI_TEST_TIMEOUT})
  endif()
  set(test_name ${T_NAME}.np${T_NP}.t${T_THREADS})
  add_test(NAME ${test_name}
           COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${T_NP} ${MPIEXEC_PREFLAGS}
                   ${HPAR_MPIEXEC_PREFLAGS} $<TARGET_FILE:${T_TARGET}> ${MPIEXEC_POSTFLAGS} ${T_ARGS})
  math(EXPR procs "${T_NP} * ${T_THREADS}")
  set_tests_properties(${test_name} PROPERTIES
    ENVIRONMENT "OMP_NUM_THREADS=${T_THREADS};${HPAR_MPI_TEST_ENV}"
    PROCESSORS ${procs} TIMEOUT ${T_TIMEOUT} LABELS "mpi;${T_LABELS}")
endfunction()

# Lock waits of the tests that share system-wide resources (tests/lib/exclusive.sh): how long
# such a test may wait for another checkout's run before it fails.
set(HPAR_TEST_LOCK_WAIT 1200 CACHE STRING
    "Seconds a multi-host or Slurm test waits for another run's lock on this machine")

# hpar_add_case_tests(PREFIX prefix SCRIPTS file... RUNNER script [WITHOUT_FILE_NAME]
#                     [TIMEOUT s] [EXCLUSIVE] [LABELS ...] [ENVIRONMENT ...] [PROPERTIES ...])
# Every `case_NAME()` function in each SCRIPT (tests/.../FILE_cases.sh) becomes a test
# prefix.FILE.NAME (prefix.NAME with WITHOUT_FILE_NAME) that runs `bash RUNNER SCRIPT case_NAME`
# with the ENVIRONMENT, TIMEOUT seconds (default 120) and LABELS (default: prefix); PROPERTIES
# go to set_tests_properties as they are. EXCLUSIVE: the runner takes a lock on this machine
# (tests/lib/exclusive.sh) and limits the case itself to TIMEOUT (HPAR_CASE_SECONDS); ctest's
# own limit then also allows for HPAR_TEST_LOCK_WAIT. CMake configures again when a SCRIPT
# changes, so a new case is a new test at the next build.
function(hpar_add_case_tests)
  cmake_parse_arguments(C "WITHOUT_FILE_NAME;EXCLUSIVE" "PREFIX;RUNNER;TIMEOUT"
                        "SCRIPTS;LABELS;ENVIRONMENT;PROPERTIES" ${ARGN})
  if(NOT C_TIMEOUT)
    set(C_TIMEOUT 120)
  endif()
  if(NOT C_LABELS)
    set(C_LABELS ${C_PREFIX})
  endif()
  set(environment ${C_ENVIRONMENT})
  set(timeout ${C_TIMEOUT})
  if(C_EXCLUSIVE)
    list(APPEND environment HPAR_CASE_SECONDS=${C_TIMEOUT} HPAR_LOCK_WAIT=${HPAR_TEST_LOCK_WAIT})
    math(EXPR timeout "${C_TIMEOUT} + ${HPAR_TEST_LOCK_WAIT} + 90")
  endif()
  foreach(script ${C_SCRIPTS})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${script})
    get_filename_component(group ${script} NAME_WE)
    string(REGEX REPLACE "_cases$" "" group ${group})
    set(prefix ${C_PREFIX}.${group})
    if(C_WITHOUT_FILE_NAME)
      set(prefix ${C_PREFIX})
    endif()
    file(STRINGS ${script} case_lines REGEX "^case_[A-Za-z0-9_]+\\(\\)")
    foreach(line ${case_lines})
      string(REGEX REPLACE "^case_([A-Za-z0-9_]+)\\(\\).*" "\\1" case ${line})
      add_test(NAME ${prefix}.${case} COMMAND bash ${C_RUNNER} ${script} case_${case})
      set_tests_properties(${prefix}.${case} PROPERTIES ENVIRONMENT "${environment}"
                           TIMEOUT ${timeout} LABELS "${C_LABELS}" ${C_PROPERTIES})
    endforeach()
  endforeach()
endfunction()
