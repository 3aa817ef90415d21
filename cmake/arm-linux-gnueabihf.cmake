# Cross toolchain for the 32-bit Raspberry Pi edge runtime (Debian's g++-arm-linux-gnueabihf).
# Targets ARMv7-A with NEON and VFPv4, hard-float: every Pi from the Pi 2 on (Pi 2, 3, 4, 5,
# Zero 2 W) running a 32-bit userland. It excludes the ARMv6 boards (Pi 1 A/B/A+/B+, Zero,
# Zero W, Compute Module 1), which have neither ARMv7 instructions nor NEON.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)
set(CMAKE_CXX_COMPILER arm-linux-gnueabihf-g++)
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard")
# -Wno-psabi: GCC's note that std::vector iterators are passed differently since GCC 7.1 concerns
# only code linked against objects built by GCC < 7; the runtime is one static program.
set(CMAKE_CXX_FLAGS_INIT "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard -Wno-psabi")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm)
