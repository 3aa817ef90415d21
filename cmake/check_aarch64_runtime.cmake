# cmake -DSOURCE_DIR=... -DBUILD_DIR=... -P check_aarch64_runtime.cmake
# Configures and builds the aarch64-runtime preset into BUILD_DIR (a scratch folder under the
# build tree), so that CTest proves the edge runtime's libraries cross-compile as C++17 for the
# Pi. Prints SKIP (the test is then skipped) when the cross compiler is not installed.
find_program(TINYLLM_CROSS_CXX aarch64-linux-gnu-g++)
if(NOT TINYLLM_CROSS_CXX)
  message("SKIP: no aarch64 cross compiler (install g++-aarch64-linux-gnu)")
  return()
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} --preset aarch64-runtime -B "${BUILD_DIR}"
  WORKING_DIRECTORY "${SOURCE_DIR}"
  RESULT_VARIABLE configure_rc)
if(NOT configure_rc EQUAL 0)
  message(FATAL_ERROR "configuring the aarch64-runtime preset failed (${configure_rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${BUILD_DIR}" -j2 RESULT_VARIABLE build_rc)
if(NOT build_rc EQUAL 0)
  message(FATAL_ERROR "building the aarch64-runtime preset failed (${build_rc})")
endif()
message("aarch64-runtime preset builds")
