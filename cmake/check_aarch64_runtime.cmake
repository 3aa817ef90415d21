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
# The static tinyllm-run starts under qemu (its usage text, exit code 2).
find_program(TINYLLM_QEMU qemu-aarch64)
if(TINYLLM_QEMU)
  execute_process(COMMAND ${TINYLLM_QEMU} "${BUILD_DIR}/bin/tinyllm-run" --help
    RESULT_VARIABLE run_rc ERROR_VARIABLE run_err)
  if(NOT run_rc EQUAL 2 OR NOT run_err MATCHES "usage: tinyllm-run")
    message(FATAL_ERROR "tinyllm-run (aarch64) under qemu: exit ${run_rc}, ${run_err}")
  endif()
  message("tinyllm-run (aarch64, static) runs under qemu")
endif()
message("aarch64-runtime preset builds")
