# Install rules and the CMake package: `cmake --install` puts the static libraries, the public
# headers (include/meshsim/), the meshsim command line and lib/cmake/meshsim/ under the prefix,
# so that another project's `find_package(meshsim CONFIG)` gets the targets meshsim::sim and
# meshsim::testing (see docs/embedding.md). Included from the top-level CMakeLists.txt.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The exported names; the in-tree ALIAS targets (meshsim::proxy, meshsim::sim, meshsim::testing)
# spell the same.
set_target_properties(meshsim_proxy PROPERTIES EXPORT_NAME proxy)
set_target_properties(meshsim_sim PROPERTIES EXPORT_NAME sim)
set(meshsim_exported_targets meshsim_proxy meshsim_sim)
if(TARGET meshsim_testing)
  set_target_properties(meshsim_testing PROPERTIES EXPORT_NAME testing)
  list(APPEND meshsim_exported_targets meshsim_testing)
endif()

if(NOT MESHSIM_INSTALL)
  return()
endif()

set(meshsim_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/meshsim)
install(TARGETS ${meshsim_exported_targets}
        EXPORT meshsimTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Only the public headers: embedders never include sim/ or proxy/.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/meshsim
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(EXPORT meshsimTargets NAMESPACE meshsim:: DESTINATION ${meshsim_cmake_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/meshsimConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/meshsimConfig.cmake
                              INSTALL_DESTINATION ${meshsim_cmake_dir})
# 0.x: minor versions may break the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/meshsimConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/meshsimConfig.cmake
              ${PROJECT_BINARY_DIR}/meshsimConfigVersion.cmake
        DESTINATION ${meshsim_cmake_dir})
if(TARGET meshsim)
  install(TARGETS meshsim RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
# The conformance suite, for `meshsim conformance` run from the installed binary: the scenario
# files and the fixtures they include, in the same relative layout as the source tree (the
# scenarios name fixtures by relative paths), under share/meshsim/conformance/.
if(TARGET meshsim)
  set(meshsim_suite_dir ${CMAKE_INSTALL_DATADIR}/meshsim/conformance)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/scenarios/conformance
          DESTINATION ${meshsim_suite_dir}/scenarios)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/fixtures DESTINATION ${meshsim_suite_dir})
endif()
