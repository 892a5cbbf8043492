# Installing Lutra: the libraries, their public headers, the `lutra` program
# and a CMake package, so other projects write rules and hooks against it:
#
#     cmake --install build --prefix /opt/lutra
#     find_package(lutra REQUIRED)        # with CMAKE_PREFIX_PATH=/opt/lutra
#     target_link_libraries(app PRIVATE lutra::plasticity)
#
# A library joins the package with one line in its CMakeLists.txt,
# `lutra_install_library(lutra_<folder>)`; the package is written once, by
# `lutra_install_package()` at the end of the top-level CMakeLists.txt.

include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LUTRA_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/lutra)

# Installs library `target` (named lutra_<folder>) as the imported target
# lutra::<folder>, and the include/ tree beside the calling CMakeLists.txt
# (include/lutra/<folder>/*.hpp → <prefix>/include/lutra/<folder>/).
function(lutra_install_library target)
  if(NOT target MATCHES "^lutra_(.+)$")
    message(FATAL_ERROR "lutra_install_library: '${target}' is not named lutra_<folder>")
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${CMAKE_MATCH_1})
  target_include_directories(${target} PUBLIC $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  install(TARGETS ${target} EXPORT lutraTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
          FILES_MATCHING PATTERN "*.hpp")
endfunction()

# lutraTargets.cmake, lutraConfig.cmake (which finds the dependencies the
# targets name) and lutraConfigVersion.cmake, in <prefix>/lib/cmake/lutra.
function(lutra_install_package)
  install(EXPORT lutraTargets NAMESPACE lutra:: DESTINATION ${LUTRA_INSTALL_CMAKEDIR})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/lutraConfig.cmake.in
                                ${PROJECT_BINARY_DIR}/lutraConfig.cmake
                                INSTALL_DESTINATION ${LUTRA_INSTALL_CMAKEDIR})
  # 0.x: a new minor version may break the API.
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/lutraConfigVersion.cmake
                                   COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/lutraConfig.cmake ${PROJECT_BINARY_DIR}/lutraConfigVersion.cmake
          DESTINATION ${LUTRA_INSTALL_CMAKEDIR})
endfunction()
