# SPDX-License-Identifier: BSD-3-Clause
# The first install rule (included before any other): a prefix that cannot be written is refused
# with one message (not a CMake error per file, half an install left behind). The nearest
# existing folder of the prefix is tried.
install(CODE [[
  set(hpar_prefix "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
  set(hpar_dir "${hpar_prefix}")
  while(NOT EXISTS "${hpar_dir}")
    get_filename_component(hpar_dir "${hpar_dir}" DIRECTORY)
  endwhile()
  string(RANDOM LENGTH 8 hpar_probe)
  set(hpar_probe "${hpar_dir}/.hpar-install-probe-${hpar_probe}")
  execute_process(COMMAND "${CMAKE_COMMAND}" -E touch "${hpar_probe}" RESULT_VARIABLE hpar_rc
                  OUTPUT_QUIET ERROR_QUIET)
  file(REMOVE "${hpar_probe}")
  if(NOT hpar_rc EQUAL 0 OR NOT IS_DIRECTORY "${hpar_dir}")
    message(FATAL_ERROR "hpar: cannot install into ${hpar_prefix}: ${hpar_dir} is not a writable "
                        "folder; choose another prefix (cmake --install BUILD --prefix DIR)")
  endif()
]])

