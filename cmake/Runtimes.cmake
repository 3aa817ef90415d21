# The edge runtime tinyllm-run for every device architecture, built with the normal build so that
# deploy always has them: one ExternalProject sub-build of this same source tree per arch
# (TINYLLM_RUNTIME_ONLY=ON, Release, fully static), each copied to
#   ${CMAKE_BINARY_DIR}/runtimes/<arch>/tinyllm-run
# and installed to lib/tinyllm/runtimes/<arch>/tinyllm-run. An arch whose cross compiler is
# missing is skipped with one message; the build does not fail.
include(ExternalProject)

set(TINYLLM_RUNTIMES_DIR ${CMAKE_BINARY_DIR}/runtimes)
set(TINYLLM_RUNTIME_ARCHS "")    # the archs this build makes, for packaging
set(TINYLLM_RUNTIME_TARGETS "")  # their sub-build targets, for tests that run them

# tinyllm_add_runtime(ARCH COMPILER PACKAGE [TOOLCHAIN file])
# COMPILER is the C++ compiler the sub-build needs, PACKAGE the Debian package that brings it.
# Without TOOLCHAIN the sub-build uses the host's compiler and links with -static.
function(tinyllm_add_runtime arch compiler package)
  cmake_parse_arguments(R "" "TOOLCHAIN" "" ${ARGN})
  find_program(TINYLLM_${arch}_CXX ${compiler})
  if(NOT TINYLLM_${arch}_CXX)
    message(NOTICE "no ${arch} runtime: install ${package}")
    return()
  endif()
  set(args -DCMAKE_BUILD_TYPE=Release -DTINYLLM_RUNTIME_ONLY=ON)
  if(CMAKE_CXX_COMPILER_LAUNCHER)  # ccache, where the main build uses it
    list(APPEND args -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER})
  endif()
  if(R_TOOLCHAIN)
    list(APPEND args -DCMAKE_TOOLCHAIN_FILE=${R_TOOLCHAIN})
  else()
    list(APPEND args -DCMAKE_CXX_COMPILER=${TINYLLM_${arch}_CXX} -DCMAKE_EXE_LINKER_FLAGS=-static)
  endif()
  set(runtime ${TINYLLM_RUNTIMES_DIR}/${arch}/tinyllm-run)
  ExternalProject_Add(tinyllm_runtime_${arch}
    SOURCE_DIR ${PROJECT_SOURCE_DIR}
    PREFIX ${TINYLLM_RUNTIMES_DIR}/${arch}-build
    BINARY_DIR ${TINYLLM_RUNTIMES_DIR}/${arch}-build/build
    CMAKE_ARGS ${args}
    BUILD_COMMAND ${CMAKE_COMMAND} --build <BINARY_DIR> --target tinyllm-run
    # The sub-build's own dependency scan decides what is stale (ninja no-ops in well under 1 s).
    BUILD_ALWAYS ON
    INSTALL_COMMAND ${CMAKE_COMMAND} -E copy_if_different <BINARY_DIR>/bin/tinyllm-run ${runtime}
    BUILD_BYPRODUCTS ${runtime}
    USES_TERMINAL_BUILD ON)
  install(PROGRAMS ${runtime} DESTINATION lib/tinyllm/runtimes/${arch})
  set(TINYLLM_RUNTIME_ARCHS ${TINYLLM_RUNTIME_ARCHS} ${arch} PARENT_SCOPE)
  set(TINYLLM_RUNTIME_TARGETS ${TINYLLM_RUNTIME_TARGETS} tinyllm_runtime_${arch} PARENT_SCOPE)
endfunction()

if(CMAKE_HOST_SYSTEM_PROCESSOR STREQUAL "x86_64")
  tinyllm_add_runtime(x86_64 ${CMAKE_CXX_COMPILER} g++)
else()
  tinyllm_add_runtime(x86_64 x86_64-linux-gnu-g++ g++-x86-64-linux-gnu
    TOOLCHAIN ${PROJECT_SOURCE_DIR}/cmake/x86_64-linux-gnu.cmake)
endif()
tinyllm_add_runtime(aarch64 aarch64-linux-gnu-g++ g++-aarch64-linux-gnu
  TOOLCHAIN ${PROJECT_SOURCE_DIR}/cmake/aarch64-linux-gnu.cmake)
tinyllm_add_runtime(armhf arm-linux-gnueabihf-g++ g++-arm-linux-gnueabihf
  TOOLCHAIN ${PROJECT_SOURCE_DIR}/cmake/arm-linux-gnueabihf.cmake)
