# SPDX-License-Identifier: BSD-3-Clause
# Which MPI hpar is built with (HPAR_MPI), found with FindMPI:
#   ""       the system's default mpicxx and mpiexec (Debian's alternatives: Open MPI)
#   openmpi  Debian's Open MPI (mpicxx.openmpi, mpiexec.openmpi)
#   mpich    Debian's MPICH (mpicxx.mpich, mpiexec.mpich); Debian's Boost.MPI is built for
#            Open MPI only, so Boost.MPI is then compiled here from Boost's own sources
#            (hpar_boost_mpi, see below) against MPICH.
# Sets HPAR_MPI_FLAVOUR (openmpi, mpich or other) and HPAR_MPI_VERSION, read from the mpi.h
# found (cmake/hparMpiFlavour.cmake, which the installed package uses too), which pick the
# launcher flags of the tests (cmake/HparTesting.cmake), and the target Boost::mpi.
set(HPAR_MPI "" CACHE STRING "MPI to build with: openmpi, mpich, or empty for the default")
set_property(CACHE HPAR_MPI PROPERTY STRINGS "" openmpi mpich)
if(HPAR_MPI MATCHES "^(openmpi|mpich)$")
  # Only where the user has not named them: -DMPI_CXX_COMPILER=... still wins.
  find_program(MPI_CXX_COMPILER NAMES mpicxx.${HPAR_MPI} REQUIRED)
  find_program(MPIEXEC_EXECUTABLE NAMES mpiexec.${HPAR_MPI} REQUIRED)
elseif(NOT HPAR_MPI STREQUAL "")
  message(FATAL_ERROR "HPAR_MPI='${HPAR_MPI}': use openmpi, mpich or leave it empty")
endif()
find_package(MPI REQUIRED COMPONENTS CXX)
include(${CMAKE_CURRENT_LIST_DIR}/hparMpiFlavour.cmake)
hpar_mpi_flavour("${MPI_CXX_INCLUDE_DIRS}" HPAR_MPI_FLAVOUR HPAR_MPI_VERSION)
if(HPAR_MPI AND NOT HPAR_MPI STREQUAL HPAR_MPI_FLAVOUR)
  message(FATAL_ERROR "HPAR_MPI=${HPAR_MPI} but ${MPI_CXX_COMPILER} builds with "
                      "${HPAR_MPI_FLAVOUR} ${HPAR_MPI_VERSION} (configure a fresh build directory)")
endif()
message(STATUS "hpar: MPI ${HPAR_MPI_FLAVOUR} ${HPAR_MPI_VERSION} (${MPI_CXX_COMPILER}, ${MPIEXEC_EXECUTABLE})")

# Boost.MPI. With Open MPI, Debian's library. With MPICH, a static library built from the
# sources of the same Boost version as the installed headers: libs/mpi/src of Debian's boost
# source package (the upstream tarball, checked against its SHA-256), downloaded once into
# HPAR_DOWNLOAD_CACHE; or from HPAR_BOOST_MPI_SOURCE_DIR (a libs/mpi/src folder) if given.
# HPAR_BOOST_MPI picks: system (find_package(Boost COMPONENTS mpi): Debian's for Open MPI, or a
# Spack boost+mpi built against the same MPI) or bundled (built here; the default with MPICH).
set(hpar_boost_mpi_default system)
if(HPAR_MPI_FLAVOUR STREQUAL "mpich")
  set(hpar_boost_mpi_default bundled)
endif()
set(HPAR_BOOST_MPI ${hpar_boost_mpi_default} CACHE STRING
    "Boost.MPI: system (find_package) or bundled (built here from Boost's sources)")
set_property(CACHE HPAR_BOOST_MPI PROPERTY STRINGS system bundled)
if(HPAR_BOOST_MPI STREQUAL "system")
  find_package(Boost 1.74 REQUIRED COMPONENTS mpi program_options serialization)
  return()
elseif(NOT HPAR_BOOST_MPI STREQUAL "bundled")
  message(FATAL_ERROR "HPAR_BOOST_MPI='${HPAR_BOOST_MPI}': use system or bundled")
endif()
find_package(Boost 1.74 REQUIRED COMPONENTS program_options serialization)
set(HPAR_BOOST_MPI_SOURCE_DIR "" CACHE PATH
    "Boost.MPI sources (libs/mpi/src) to build against MPICH; empty: download them")
set(hpar_cache_default ${PROJECT_BINARY_DIR}/downloads)
if(DEFINED ENV{HOME})
  set(hpar_cache_default $ENV{HOME}/.cache/hpar)
endif()
set(HPAR_DOWNLOAD_CACHE ${hpar_cache_default} CACHE PATH
    "Where downloads made at configure time are kept (Boost.MPI sources for MPICH)")
set(hpar_boost_source ${HPAR_BOOST_MPI_SOURCE_DIR})
if(NOT hpar_boost_source)
  if(NOT Boost_VERSION VERSION_EQUAL 1.74.0)
    message(FATAL_ERROR "HPAR_MPI=mpich: no known Boost.MPI source for Boost ${Boost_VERSION}; "
                        "set HPAR_BOOST_MPI_SOURCE_DIR to its libs/mpi/src")
  endif()
  set(hpar_tarball boost1.74_1.74.0+ds1.orig.tar.xz)
  set(hpar_sha256 192f5df504d282cb81288f88232d8af45b64a9ab531e1c7cf8ae955f16f6bb28)
  set(hpar_boost_source ${HPAR_DOWNLOAD_CACHE}/boost-1.74.0/boost/libs/mpi/src)
  if(NOT EXISTS ${hpar_boost_source}/communicator.cpp)
    set(tarball ${HPAR_DOWNLOAD_CACHE}/${hpar_tarball})
    message(STATUS "hpar: fetching Boost.MPI 1.74 sources (Debian's ${hpar_tarball}, 61 MB)")
    file(DOWNLOAD http://deb.debian.org/debian/pool/main/b/boost1.74/boost1.74_1.74.0%2bds1.orig.tar.xz
         ${tarball} EXPECTED_HASH SHA256=${hpar_sha256} STATUS hpar_status)
    list(GET hpar_status 0 hpar_code)
    if(NOT hpar_code EQUAL 0)
      file(REMOVE ${tarball})
      message(FATAL_ERROR "hpar: downloading ${hpar_tarball} failed (${hpar_status}); put "
                          "Boost 1.74's libs/mpi/src somewhere and set HPAR_BOOST_MPI_SOURCE_DIR")
    endif()
    file(ARCHIVE_EXTRACT INPUT ${tarball} DESTINATION ${HPAR_DOWNLOAD_CACHE}/boost-1.74.0
         PATTERNS boost/libs/mpi/src/*.cpp)
    file(REMOVE ${tarball})  # 61 MB; the 20 sources extracted are what is kept
  endif()
endif()
file(GLOB hpar_boost_mpi_sources ${hpar_boost_source}/*.cpp)
if(NOT hpar_boost_mpi_sources)
  message(FATAL_ERROR "hpar: no Boost.MPI sources in ${hpar_boost_source}")
endif()
# Boost's own code: built with its own defaults, not hpar's warnings.
add_library(hpar_boost_mpi STATIC ${hpar_boost_mpi_sources})
target_compile_definitions(hpar_boost_mpi PRIVATE BOOST_MPI_SOURCE=1)
target_compile_features(hpar_boost_mpi PUBLIC cxx_std_20)
target_compile_options(hpar_boost_mpi PRIVATE -w)
set_target_properties(hpar_boost_mpi PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_link_libraries(hpar_boost_mpi PUBLIC MPI::MPI_CXX Boost::serialization)
# Installed and exported with hpar's libraries (hpar::boost_mpi, cmake/HparInstall.cmake): a
# program built against an MPICH build of hpar links this library, not Debian's Open MPI one.
set_target_properties(hpar_boost_mpi PROPERTIES EXPORT_NAME boost_mpi)
add_library(Boost::mpi ALIAS hpar_boost_mpi)
