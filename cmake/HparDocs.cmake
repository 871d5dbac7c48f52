# SPDX-License-Identifier: BSD-3-Clause
# The man page (hpar.1) and the bash completion, generated from the help the built binary
# prints (cmake/hpar_docs.sh), so that they cannot drift from it; both installed.
option(HPAR_BUILD_DOCS "Generate the man page and bash completion from the built hpar" ON)
if(NOT HPAR_BUILD_DOCS)
  return()
endif()
include(GNUInstallDirs)
set(HPAR_MAN_PAGE ${PROJECT_BINARY_DIR}/share/man/man1/hpar.1)
set(HPAR_COMPLETION ${PROJECT_BINARY_DIR}/share/bash-completion/completions/hpar)
# The binary runs as an MPI singleton; under sanitizers, MPI's own leaks must not fail it.
add_custom_command(
  OUTPUT ${HPAR_MAN_PAGE} ${HPAR_COMPLETION}
  COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
          bash ${PROJECT_SOURCE_DIR}/cmake/hpar_docs.sh $<TARGET_FILE:hpar> ${PROJECT_VERSION}
          ${HPAR_MAN_PAGE} ${HPAR_COMPLETION}
  DEPENDS hpar ${PROJECT_SOURCE_DIR}/cmake/hpar_docs.sh
  COMMENT "Generating the man page and bash completion from hpar's help"
  VERBATIM)
add_custom_target(hpar_docs ALL DEPENDS ${HPAR_MAN_PAGE} ${HPAR_COMPLETION})
install(FILES ${HPAR_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT runtime)
install(FILES ${HPAR_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        COMPONENT runtime)
