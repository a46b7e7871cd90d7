# The Debian package (`make deb`, or `cpack -G DEB` in any build directory): the tool, the
# static library, headers, the CMake package and pkg-config file (SockitInstall.cmake), plus a
# man page sockit(1) and bash completion generated from the built tool's own --help texts
# (packaging/gen-docs.sh), so that neither is written by hand next to the help.

# ---- man page and completion -----------------------------------------------------------------
set(SOCKIT_DOCS_DIR ${PROJECT_BINARY_DIR}/packaging)
add_custom_command(
  OUTPUT ${SOCKIT_DOCS_DIR}/sockit.1 ${SOCKIT_DOCS_DIR}/sockit.1.gz ${SOCKIT_DOCS_DIR}/sockit.bash
  COMMAND bash ${PROJECT_SOURCE_DIR}/packaging/gen-docs.sh $<TARGET_FILE:sockit_cli>
    ${SOCKIT_DOCS_DIR} ${PROJECT_VERSION}
  DEPENDS sockit_cli ${PROJECT_SOURCE_DIR}/packaging/gen-docs.sh
  COMMENT "Generating sockit.1 and bash completion from sockit --help"
  VERBATIM)
add_custom_target(sockit_docs ALL DEPENDS ${SOCKIT_DOCS_DIR}/sockit.1.gz ${SOCKIT_DOCS_DIR}/sockit.bash)
install(FILES ${SOCKIT_DOCS_DIR}/sockit.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${SOCKIT_DOCS_DIR}/sockit.bash
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME sockit)

# ---- CPack: one .deb -------------------------------------------------------------------------
set(SOCKIT_DEB_MAINTAINER "sockit developers <sockit@invalid>" CACHE STRING
  "Maintainer field of the .deb (set a real address for a release)")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sockit)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # sockit_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SOCKIT_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# The summary line is CPACK_PACKAGE_DESCRIPTION_SUMMARY; this is the extended description.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "The sockit tool (connect, listen, scan, serve, bench, ip, resolve) and the
C++23 library behind it: static library, headers, CMake package
(find_package(sockit)) and pkg-config file, with the sockit(1) man page
and bash completion.")
# Depends: the runtime packages of the shared libraries the tool links (libc6, libstdc++6,
# libfmt9, ...), computed by dpkg-shlibdeps, plus libssl-dev: the static library's tls/ layer
# needs OpenSSL at link time, and the CMake package's find_dependency(OpenSSL 3) and the
# pkg-config file's Requires.private look for its development files.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libssl-dev (>= 3.0), libhiredis-dev")
include(CPack)
