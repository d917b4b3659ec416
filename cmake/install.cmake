# install.cmake — what `cmake --install build --prefix P` puts where, and the .deb `cpack -G DEB` makes of it
# (docs/install.md): the command, libdsim (shared with its SONAME, and static), the headers, pkg-config and CMake
# package files, the shipped scenarios and policies, man pages generated from each command's --help, and bash
# completion.
include(CMakePackageConfigHelpers)
find_program(BASH bash REQUIRED)

install(TARGETS dsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT dsim)
install(TARGETS dsim_shared EXPORT dsimTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dsim
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES $<TARGET_FILE:dsim_lib> DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dsim)
install(DIRECTORY include/dsim DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dsim)
install(DIRECTORY scenarios policies DESTINATION ${CMAKE_INSTALL_DATADIR}/dsim COMPONENT dsim)

file(RELATIVE_PATH DSIM_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" DSIM_PC_TO_PREFIX "${DSIM_PC_TO_PREFIX}")
configure_file(cmake/dsim.pc.in ${CMAKE_CURRENT_BINARY_DIR}/dsim.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dsim.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dsim)
install(EXPORT dsimTargets NAMESPACE dsim:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dsim COMPONENT dsim)
configure_package_config_file(cmake/dsimConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/dsimConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dsim)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/dsimConfigVersion.cmake
                                 COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/dsimConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/dsimConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/dsim COMPONENT dsim)

# Man pages: help2man on `dsim --help` and on each command's --help (cmake/man.sh), so that a page cannot drift
# from the program.
find_program(HELP2MAN help2man)
if(HELP2MAN)
  add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/man/dsim.1
    COMMAND ${BASH} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/man.sh $<TARGET_FILE:dsim> ${PROJECT_VERSION}
            ${CMAKE_CURRENT_BINARY_DIR}/man
    DEPENDS dsim ${CMAKE_CURRENT_SOURCE_DIR}/cmake/man.sh VERBATIM)
  add_custom_target(man ALL DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/man/dsim.1)
  install(DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT dsim
          FILES_MATCHING PATTERN "*.1" PATTERN bin EXCLUDE)
else()
  message(WARNING "help2man not found: no man pages (Debian: apt-get install help2man)")
endif()
install(FILES completion/dsim DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT dsim)

# cpack -G DEB: one package, its dependencies read from the shared libraries it links (dpkg-shlibdeps), plus
# PLplot's cairo driver, a plug-in that no library names, and GSL's headers, which dsim/policy.h includes
# (gsl_rng is part of the policy API), so that the headers it ships compile.
set(CPACK_PACKAGE_NAME dsim)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "dsim maintainers <dsim@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "discount simulator: synthetic shoppers, ranked slates, discount policies")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "plplot-driver-cairo, libgsl-dev")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pkg-config")
set(CPACK_GENERATOR DEB)
include(CPack)
