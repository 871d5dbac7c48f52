# SPDX-License-Identifier: BSD-3-Clause
# The instruction set hpar is built for (HPAR_ARCH), as GROMACS's GMX_SIMD and Spack's target do:
#   native    the CPU of the build host (-march=native): the default of a source build
#   portable  any x86-64 (-march=x86-64 -mtune=generic; the compiler's default elsewhere): what
#             packages use. The hot kernels are then multi-versioned (HPAR_KERNEL_CLONES).
#   VALUE     any other value is passed as -march=VALUE (e.g. x86-64-v3, znver3, sapphirerapids)
# Sets HPAR_ARCH_FLAGS (for the options target), HPAR_ARCH_TARGET (what the compiler resolves
# the flags to, e.g. znver3) for the build information, and hpar_clones (ON/OFF).
set(HPAR_ARCH "native" CACHE STRING "Target CPU: native, portable, or a -march value")
set_property(CACHE HPAR_ARCH PROPERTY STRINGS native portable x86-64-v2 x86-64-v3 x86-64-v4)

set(hpar_x86_64 FALSE)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(hpar_x86_64 TRUE)
endif()
if(HPAR_ARCH STREQUAL "native")
  set(HPAR_ARCH_FLAGS -march=native)
elseif(HPAR_ARCH STREQUAL "portable")
  set(HPAR_ARCH_FLAGS "")
  if(hpar_x86_64)
    set(HPAR_ARCH_FLAGS -march=x86-64 -mtune=generic)
  endif()
elseif(HPAR_ARCH MATCHES "^[A-Za-z0-9_.+-]+$")
  set(HPAR_ARCH_FLAGS -march=${HPAR_ARCH})
else()
  message(FATAL_ERROR "HPAR_ARCH='${HPAR_ARCH}': use native, portable or a -march value")
endif()

# What the flags mean for this compiler: GCC names the -march it resolves (native -> znver3).
set(HPAR_ARCH_TARGET "${HPAR_ARCH}")
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} ${HPAR_ARCH_FLAGS} -Q --help=target
                  OUTPUT_VARIABLE hpar_target_help ERROR_VARIABLE hpar_target_error
                  RESULT_VARIABLE hpar_target_rc)
  if(NOT hpar_target_rc EQUAL 0)
    message(FATAL_ERROR "HPAR_ARCH=${HPAR_ARCH}: ${CMAKE_CXX_COMPILER} refuses "
                        "'${HPAR_ARCH_FLAGS}': ${hpar_target_error}")
  endif()
  if(hpar_target_help MATCHES "\n  -march=[ \t]+([^ \t\n]+)")
    set(HPAR_ARCH_TARGET "${CMAKE_MATCH_1}")
  endif()
endif()

# Function multi-versioning of the hot kernels (GCC target_clones: an AVX-512 clone beside the
# default, picked at load time by the CPU): worth it only where the default code is baseline.
# AUTO: on for a portable x86-64 build with GCC.
set(HPAR_KERNEL_CLONES AUTO CACHE STRING "Multi-version the hot kernels: AUTO, ON or OFF")
set_property(CACHE HPAR_KERNEL_CLONES PROPERTY STRINGS AUTO ON OFF)
set(hpar_clones ${HPAR_KERNEL_CLONES})
if(hpar_clones STREQUAL "AUTO")
  set(hpar_clones OFF)
  if(HPAR_ARCH STREQUAL "portable" AND hpar_x86_64 AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    set(hpar_clones ON)
  endif()
endif()
if(hpar_clones AND NOT (hpar_x86_64 AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU"))
  message(FATAL_ERROR "HPAR_KERNEL_CLONES needs GCC on x86-64")
endif()
message(STATUS "hpar: HPAR_ARCH=${HPAR_ARCH} (${HPAR_ARCH_FLAGS}; target ${HPAR_ARCH_TARGET}), "
               "kernel clones ${hpar_clones}")
