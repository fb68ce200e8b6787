# SPDX-License-Identifier: Apache-2.0
# ccr_split_debug(<target>): with CCR_SPLIT_DEBUG=ON, moves <target>'s debug
# information into <file>.debug after every link, leaves a .gnu_debuglink in
# the binary, and installs the .debug file into .debug/ beside the installed
# binary, where gdb and eu-stack look for it. The binary itself is then
# installed stripped (CCR_INSTALL_STRIP) and stays debuggable.
function(ccr_split_debug target)
  if(NOT CCR_SPLIT_DEBUG)
    return()
  endif()
  if(NOT CMAKE_OBJCOPY)
    message(FATAL_ERROR "CCR_SPLIT_DEBUG=ON needs objcopy (binutils)")
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE")
    set(dest ${CMAKE_INSTALL_BINDIR})
  else()
    set(dest ${CMAKE_INSTALL_LIBDIR})
  endif()
  set(file $<TARGET_FILE:${target}>)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_OBJCOPY} --only-keep-debug ${file} ${file}.debug
    COMMAND ${CMAKE_OBJCOPY} --add-gnu-debuglink=${file}.debug ${file}
    COMMENT "Separate debug information of ${target}"
    VERBATIM)
  install(FILES ${file}.debug DESTINATION ${dest}/.debug OPTIONAL)
endfunction()
