# Test helpers: every MPI test goes through hpar_add_mpi_test, so launcher flags, root handling
# and timeouts live in one place (cache variables, not hard-coded per test).

set(HPAR_MPIEXEC_PREFLAGS "--oversubscribe;--bind-to;none" CACHE STRING
    "Flags for mpiexec in tests (oversubscribe: np 3 and 4 on a 2-core machine)")
set(HPAR_MPI_TEST_ENV
    "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;OMPI_MCA_pml=ob1;OMPI_MCA_btl=self,vader;OMPI_MCA_rmaps_base_oversubscribe=1"
    CACHE STRING "Environment for MPI tests (Open MPI as root, fast launch on one host)")
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
