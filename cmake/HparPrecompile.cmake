# SPDX-License-Identifier: BSD-3-Clause
# Precompiled headers for the targets with many translation units: the third-party headers that
# most of their files include (nlohmann/json alone takes ~3.6 s to parse at -O2 on the CI
# machine, Boost.MPI and Boost.Program_options ~2 s each) are parsed once per target instead of
# once per file. Only what a target may include goes into its header: hpar::jobs has no MPI on
# its include path (a job that reaches for MPI must not build), so it gets no Boost.MPI.
# HPAR_PRECOMPILE_HEADERS=OFF builds without them, as clang-tidy reads the sources (.ci/lint).
option(HPAR_PRECOMPILE_HEADERS "Precompile the heavy third-party headers of the largest targets" ON)

# hpar_precompile_headers(TARGET [JSON] [MPI] [GTEST])
function(hpar_precompile_headers target)
  if(NOT HPAR_PRECOMPILE_HEADERS)
    return()
  endif()
  cmake_parse_arguments(arg "JSON;MPI;GTEST" "" "" ${ARGN})
  set(headers <algorithm> <chrono> <filesystem> <fstream> <functional> <iostream> <map>
              <optional> <sstream> <string> <vector> <boost/program_options.hpp>)
  if(arg_JSON)
    list(APPEND headers <nlohmann/json.hpp>)
  endif()
  if(arg_MPI)
    list(APPEND headers <boost/mpi/collectives.hpp> <boost/mpi/communicator.hpp>)
  endif()
  if(arg_GTEST)
    list(APPEND headers <gtest/gtest.h>)
  endif()
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()
