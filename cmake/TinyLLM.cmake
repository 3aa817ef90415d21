# Project-wide CMake helpers.

# tinyllm_add_test(NAME SOURCES... [LIBS ...] [LABELS ...] [TIMEOUT s])
# One Qt Test executable per core module, registered with CTest. The default label is "unit";
# slow or network-ish suites pass their own label and still run in CI.
function(tinyllm_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE Qt6::Test ${T_LIBS})
  target_compile_definitions(${name} PRIVATE
    TINYLLM_SHARED_DIR="${TINYLLM_SHARED_DIR}"
    TINYLLM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    TINYLLM_BINARY_DIR="${PROJECT_BINARY_DIR}")
  add_test(NAME ${name} COMMAND ${name})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  # Qt Test's own watchdog (300 s per test function by default) gets the whole test's budget:
  # on a slow machine one long function must not abort a suite that CTest still allows.
  set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "QT_QPA_PLATFORM=offscreen;QTEST_FUNCTION_TIMEOUT=${T_TIMEOUT}000")
endfunction()
