# Installed package: find_package(sockit) gives sockit::sockit, plus a pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS sockit sockit_clang_expected EXPORT sockitTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# sockit_warnings is linked PRIVATE; CMake still needs it in the export set for a static
# library's link interface, but as an empty INTERFACE target it carries nothing to consumers.
install(TARGETS sockit_warnings EXPORT sockitTargets)
install(TARGETS sockit_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The tool-side headers (bench engine, histogram, rate, port lists) stay out of the package.
install(DIRECTORY include/sockit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  PATTERN tools EXCLUDE)
install(EXPORT sockitTargets NAMESPACE sockit:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sockit)

configure_package_config_file(cmake/sockitConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sockitConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sockit)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sockitConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sockitConfig.cmake ${PROJECT_BINARY_DIR}/sockitConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sockit)

file(RELATIVE_PATH SOCKIT_PC_UP "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" SOCKIT_PC_UP "${SOCKIT_PC_UP}")
configure_file(cmake/sockit.pc.in ${PROJECT_BINARY_DIR}/sockit.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sockit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
