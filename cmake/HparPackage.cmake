# SPDX-License-Identifier: BSD-3-Clause
# Debian packages with CPack, one per install component (cmake/HparInstall.cmake):
#   hpar      the program, man page, bash completion, jobs/*.ini, slurm/, docs, the modulefile
#   hpar-dev  headers, static libraries, the CMake package, hpar.pc, the example projects
# Build them from the portable preset (one package for every x86-64 node; the hot kernels pick
# the CPU's best instructions at run time):
#   cmake --preset portable && cmake --build --preset portable && (cd build/portable && cpack -G DEB)
# The runtime package's library dependencies come from dpkg-shlibdeps (the binary's own NEEDED
# entries); the launcher and the -dev package's dependencies are named here for the MPI built with.
set(CPACK_PACKAGE_NAME hpar)
set(CPACK_PACKAGE_VENDOR "hpar developers")
set(CPACK_PACKAGE_CONTACT "hpar developers <hpar@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME hpar)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME hpar-dev)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SHLIBDEPS ON)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "${PROJECT_DESCRIPTION}\n hpar splits work across MPI ranks and OpenMP threads, runs task farms,\n scaling studies and sweeps, on a workstation or under Slurm.")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "${PROJECT_DESCRIPTION} (development files)\n Headers, static libraries, the CMake package and pkg-config file of hpar.")
if(HPAR_MPI_FLAVOUR STREQUAL "mpich")
  set(hpar_deb_launcher mpich)
  set(hpar_deb_mpi_dev "libmpich-dev, libboost-serialization-dev")
else()
  set(hpar_deb_launcher openmpi-bin)
  set(hpar_deb_mpi_dev "libopenmpi-dev, libboost-mpi-dev, libboost-serialization-dev")
endif()
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "${hpar_deb_launcher}")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SUGGESTS "gnuplot-nox, slurm-client, lmod, parallel")
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "hpar (= ${PROJECT_VERSION}), ${hpar_deb_mpi_dev}, libboost-program-options-dev, libhwloc-dev, libpng-dev, zlib1g-dev, nlohmann-json3-dev, cmake (>= 3.25) | pkg-config")
include(CPack)
cpack_add_component(runtime DISPLAY_NAME "hpar")
cpack_add_component(dev DISPLAY_NAME "hpar development files" DEPENDS runtime)
