# SPDX-License-Identifier: BSD-3-Clause
# What `cmake --install BUILD --prefix P` puts under P, and how other projects find it:
#
#   bin/hpar                          the program
#   lib/libhpar_*.a                   the layers (static: a user's program carries what it uses)
#   include/hpar/                     the public headers; hpar/hpar.hpp is the small API
#   lib/cmake/hpar/                   hparConfig.cmake, hparConfigVersion.cmake, hparTargets*.cmake
#   lib/pkgconfig/hpar.pc             for builds without CMake
#   share/hpar/jobs/                  the example configs of the built-in jobs (*.ini)
#   share/hpar/slurm/                 the batch scripts, with slurm/lib/
#   share/hpar/examples/              the out-of-tree example projects
#   share/hpar/python/hpar_worker.py  the Python helper of `hpar farm --worker` (hpar worker-path)
#   share/doc/hpar/                   README.md, LICENSE and the docs
#   share/modulefiles/hpar/VERSION.lua  the Lmod modulefile
#   share/man/man1/hpar.1, share/bash-completion/completions/hpar
# Two components, which are the two Debian packages (cmake/HparPackage.cmake): runtime (hpar:
# the program, its data, man page, completion, modulefile) and dev (hpar-dev: headers, static
# libraries, the CMake package, hpar.pc, the example projects).
#
# Every path in the installed files is relative to the prefix (the targets' _IMPORT_PREFIX,
# PACKAGE_PREFIX_DIR, pkg-config's ${pcfiledir}): the tree can be moved or copied as a whole.
# Targets, namespace hpar:: (find_package(hpar) then target_link_libraries(app hpar::hpar)):
#   hpar::hpar   the small API, the engine and the command line (hpar::main)
#   hpar::jobs   the built-in jobs (hpar::builtin_jobs())
#   hpar::core, api, comm, platform, engine, observe, report, study, cli   the layers one by one
#   hpar::hpar_exe   the installed hpar program
include(CMakePackageConfigHelpers)

set(HPAR_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/hpar CACHE STRING
    "Where the CMake package files go, relative to the prefix")
set(HPAR_INSTALL_DATADIR ${CMAKE_INSTALL_DATADIR}/hpar)

set(hpar_layers core api comm platform engine observe report study launch cli jobs)
foreach(layer ${hpar_layers})
  set_target_properties(hpar_${layer} PROPERTIES EXPORT_NAME ${layer})
endforeach()
set_target_properties(hpar_hpar PROPERTIES EXPORT_NAME hpar)
set_target_properties(hpar PROPERTIES EXPORT_NAME hpar_exe)
list(TRANSFORM hpar_layers PREPEND hpar_ OUTPUT_VARIABLE hpar_layer_targets)

# With MPICH, the Boost.MPI built here (cmake/HparMpi.cmake) is part of the package: hpar::boost_mpi.
set(hpar_bundled_targets "")
if(TARGET hpar_boost_mpi)
  set(hpar_bundled_targets hpar_boost_mpi)
endif()
install(TARGETS ${hpar_layer_targets} hpar_hpar hpar ${hpar_bundled_targets} EXPORT hparTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/hpar DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev FILES_MATCHING PATTERN "*.hpp")
install(EXPORT hparTargets NAMESPACE hpar:: DESTINATION ${HPAR_INSTALL_CMAKEDIR} COMPONENT dev)

# hparConfig.cmake finds the dependencies the targets' interfaces name, with the versions this
# build used as the least ones, and the MPI this build used (flavour, version, wrapper compiler):
# a program that would find another MPI is refused at configure time, naming both.
set(HPAR_BOOST_VERSION ${Boost_MAJOR_VERSION}.${Boost_MINOR_VERSION})
set(HPAR_BOOST_COMPONENTS mpi program_options serialization)
if(TARGET hpar_boost_mpi)
  set(HPAR_BOOST_COMPONENTS program_options serialization)
endif()
install(FILES ${CMAKE_CURRENT_LIST_DIR}/hparMpiFlavour.cmake DESTINATION ${HPAR_INSTALL_CMAKEDIR}
        COMPONENT dev)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/hparConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/hparConfig.cmake
                              INSTALL_DESTINATION ${HPAR_INSTALL_CMAKEDIR}
                              PATH_VARS CMAKE_INSTALL_INCLUDEDIR CMAKE_INSTALL_BINDIR
                                        HPAR_INSTALL_DATADIR)
# 0.x: a minor version may change the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hparConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hparConfig.cmake ${PROJECT_BINARY_DIR}/hparConfigVersion.cmake
        DESTINATION ${HPAR_INSTALL_CMAKEDIR} COMPONENT dev)

# hpar.pc: the layers and, since they are static, everything they link. MPI's flags are the
# ones FindMPI found (the wrapper compiler's), so the file works for Open MPI and MPICH alike.
list(JOIN MPI_CXX_COMPILE_OPTIONS " " HPAR_PC_MPI_CFLAGS)
foreach(dir ${MPI_CXX_INCLUDE_DIRS})
  string(APPEND HPAR_PC_MPI_CFLAGS " -I${dir}")
endforeach()
set(HPAR_PC_MPI_LIBS "")
foreach(lib ${MPI_CXX_LIBRARIES})
  string(APPEND HPAR_PC_MPI_LIBS " ${lib}")
endforeach()
set(HPAR_PC_BOOST_LIBS "")
if(TARGET hpar_boost_mpi)  # installed beside hpar's libraries: named from the install's libdir
  string(APPEND HPAR_PC_BOOST_LIBS " -lhpar_boost_mpi")
else()
  string(APPEND HPAR_PC_BOOST_LIBS " $<TARGET_LINKER_FILE:Boost::mpi>")
endif()
foreach(component serialization program_options)
  string(APPEND HPAR_PC_BOOST_LIBS " $<TARGET_LINKER_FILE:Boost::${component}>")
endforeach()
file(RELATIVE_PATH HPAR_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" HPAR_PC_TO_PREFIX "${HPAR_PC_TO_PREFIX}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/hpar.pc.in ${PROJECT_BINARY_DIR}/hpar.pc.in @ONLY)
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/hpar.pc INPUT ${PROJECT_BINARY_DIR}/hpar.pc.in)
install(FILES ${PROJECT_BINARY_DIR}/hpar.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# Data: example configs, batch scripts (slurm/lib/ too: the one source of the launch block),
# the documentation and the licence (runtime); the example projects (dev).
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
file(GLOB hpar_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${hpar_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT runtime)
file(GLOB hpar_job_configs ${PROJECT_SOURCE_DIR}/jobs/*.ini)
install(FILES ${hpar_job_configs} DESTINATION ${HPAR_INSTALL_DATADIR}/jobs COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/slurm/ DESTINATION ${HPAR_INSTALL_DATADIR}/slurm
        COMPONENT runtime)
# The Python helper of `hpar farm --worker`, also copied into the build tree beside the binary
# (BUILD/share/hpar/python), where `hpar worker-path` finds it as in an installed tree.
configure_file(${PROJECT_SOURCE_DIR}/python/hpar_worker.py
               ${PROJECT_BINARY_DIR}/share/hpar/python/hpar_worker.py COPYONLY)
install(FILES ${PROJECT_SOURCE_DIR}/python/hpar_worker.py DESTINATION ${HPAR_INSTALL_DATADIR}/python
        COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ DESTINATION ${HPAR_INSTALL_DATADIR}/examples
        COMPONENT dev PATTERN "build*" EXCLUDE PATTERN "__pycache__" EXCLUDE)

# The Lmod modulefile, share/modulefiles/hpar/VERSION.lua: `module use PREFIX/share/modulefiles;
# module load hpar`. It finds the prefix from its own place (Lmod's myFileName), so the tree stays
# relocatable like everything else here.
configure_file(${CMAKE_CURRENT_LIST_DIR}/hpar.lua.in
               ${PROJECT_BINARY_DIR}/modulefiles/hpar/${PROJECT_VERSION}.lua @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/modulefiles/hpar/${PROJECT_VERSION}.lua
        DESTINATION ${CMAKE_INSTALL_DATADIR}/modulefiles/hpar COMPONENT runtime)
