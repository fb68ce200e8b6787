# SPDX-License-Identifier: Apache-2.0
# ccr.pc, twice: one to install, whose prefix is found from where it lies (so
# an install moved with --prefix or DESTDIR still works), and one in the build
# tree naming the build's own library and headers, for building against libccr
# without installing it. pkg-config prefers a <name>-uninstalled.pc when it
# finds one, so pointing it at the build directory is enough:
#   PKG_CONFIG_PATH=build pkg-config --cflags --libs ccr
# What a static link needs beyond libccr.a is in Requires.private and
# Libs.private (pkg-config --static).
set(CCR_PC_REQUIRES_PRIVATE "protobuf, spdlog, libarchive")
set(CCR_PC_LIBS_PRIVATE "-lstdc++ -lm -pthread")

file(RELATIVE_PATH CCR_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" CCR_PC_TO_PREFIX "${CCR_PC_TO_PREFIX}")
set(CCR_PC_PREFIX "\${pcfiledir}/${CCR_PC_TO_PREFIX}")
set(CCR_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
set(CCR_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
set(CCR_PC_CFLAGS "-I\${includedir}")
configure_file(pkgconfig/ccr.pc.in ${CMAKE_CURRENT_BINARY_DIR}/ccr.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ccr.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The build tree's: the library where ninja links it, the headers from the
# source tree (ccr/ccr.h) and the build tree (ccr/ccr_version.h).
set(CCR_PC_PREFIX "${CMAKE_CURRENT_BINARY_DIR}")
set(CCR_PC_LIBDIR "${CMAKE_CURRENT_BINARY_DIR}")
set(CCR_PC_INCLUDEDIR "${CMAKE_CURRENT_SOURCE_DIR}/include")
# ccr.h includes "ccr_version.h" from its own directory, which in the build
# tree is another one: both are named.
set(CCR_PC_CFLAGS "-I\${includedir} -I${CMAKE_CURRENT_BINARY_DIR}/include -I${CMAKE_CURRENT_BINARY_DIR}/include/ccr")
configure_file(pkgconfig/ccr.pc.in ${CMAKE_CURRENT_BINARY_DIR}/ccr-uninstalled.pc @ONLY)
