# CMake toolchain file for kiln's shipping build: fully static musl binaries
# compiled by zig 0.11 (zig cc / zig c++) for one architecture, linked
# against the static dependency prefix that scripts/toolchain/build-deps.sh
# builds for it.
#
#   KILN_ARCH=arm64 scripts/toolchain/build-deps.sh     # once; cached in $KILN_CACHE
#   cmake -S . -B build/static-arm64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
#         -DKILN_ARCH=arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/zig-musl.cmake
#
# KILN_ARCH (a CMake variable, else the environment variable, else amd64):
# amd64, arm64, s390x, ppc64le or riscv64 (scripts/toolchain/arch.sh).
# Environment:
#   KILN_CACHE        cache dir holding zig and the prefixes (/var/cache/kiln)
#   KILN_DEPS_PREFIX  override the prefix (build-deps.sh sets it while building)
#   KILN_ZIG_VERSION  zig version installed by install-zig.sh (0.11.0)
#
# amd64 is the native build: CMAKE_SYSTEM_NAME is not set, and try_run checks
# run the static programs directly. The others are cross builds whose
# programs (try_run, ctest) run under Debian's qemu-user-static
# (CMAKE_CROSSCOMPILING_EMULATOR).

if(DEFINED ENV{KILN_CACHE} AND NOT "$ENV{KILN_CACHE}" STREQUAL "")
  set(_kiln_cache "$ENV{KILN_CACHE}")
else()
  set(_kiln_cache "/var/cache/kiln")
endif()
if(DEFINED ENV{KILN_ZIG_VERSION} AND NOT "$ENV{KILN_ZIG_VERSION}" STREQUAL "")
  set(_kiln_zig_version "$ENV{KILN_ZIG_VERSION}")
else()
  set(_kiln_zig_version "0.11.0")
endif()
if(DEFINED ENV{KILN_DEPS_PREFIX} AND NOT "$ENV{KILN_DEPS_PREFIX}" STREQUAL "")
  set(_kiln_prefix "$ENV{KILN_DEPS_PREFIX}")
else()
  set(_kiln_prefix "${_kiln_cache}/deps")
endif()
if(NOT DEFINED KILN_ARCH OR "${KILN_ARCH}" STREQUAL "")
  if(DEFINED ENV{KILN_ARCH} AND NOT "$ENV{KILN_ARCH}" STREQUAL "")
    set(KILN_ARCH "$ENV{KILN_ARCH}")
  else()
    set(KILN_ARCH amd64)
  endif()
endif()
# try_compile projects re-read this file: hand them the architecture too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES KILN_ARCH)
# OCI name -> zig/GNU CPU and qemu-user binary (the table of arch.sh).
set(_kiln_cpu_amd64 x86_64)
set(_kiln_cpu_arm64 aarch64)
set(_kiln_cpu_s390x s390x)
set(_kiln_cpu_ppc64le powerpc64le)
set(_kiln_cpu_riscv64 riscv64)
set(_kiln_cpu_ppc64 powerpc64)  # big-endian; for the unit tests only
if(NOT DEFINED _kiln_cpu_${KILN_ARCH})
  message(FATAL_ERROR "unknown KILN_ARCH=${KILN_ARCH} (one of: amd64 arm64 s390x ppc64le riscv64 ppc64)")
endif()
set(_kiln_cpu ${_kiln_cpu_${KILN_ARCH}})

set(_kiln_bin "${_kiln_cache}/zig-${_kiln_zig_version}/bin")
if(KILN_ARCH STREQUAL "amd64")
  set(_kiln_cc_bin "${_kiln_bin}")
else()
  set(_kiln_cc_bin "${_kiln_bin}/${KILN_ARCH}")
  # Prefixes of foreign architectures live in $KILN_CACHE/<arch>/.
  if(NOT DEFINED ENV{KILN_DEPS_PREFIX} OR "$ENV{KILN_DEPS_PREFIX}" STREQUAL "")
    set(_kiln_prefix "${_kiln_cache}/${KILN_ARCH}/deps")
  endif()
  set(CMAKE_SYSTEM_NAME Linux)
  set(CMAKE_SYSTEM_PROCESSOR ${_kiln_cpu})
  if(_kiln_cpu STREQUAL "powerpc64le")
    set(_kiln_qemu qemu-ppc64le-static)
  elseif(_kiln_cpu STREQUAL "powerpc64")
    set(_kiln_qemu qemu-ppc64-static)
  else()
    set(_kiln_qemu qemu-${_kiln_cpu}-static)
  endif()
  find_program(KILN_QEMU ${_kiln_qemu})
  if(KILN_QEMU)
    set(CMAKE_CROSSCOMPILING_EMULATOR "${KILN_QEMU}")
  endif()
endif()

if(NOT EXISTS "${_kiln_cc_bin}/zig-c++")
  message(FATAL_ERROR "zig wrappers not found in ${_kiln_cc_bin}: run scripts/toolchain/build-deps.sh "
                      "(or scripts/toolchain/install-zig.sh) first, with the same KILN_CACHE")
endif()
if(NOT EXISTS "${_kiln_prefix}/include")
  message(FATAL_ERROR "static dependency prefix ${_kiln_prefix} not found: run KILN_ARCH=${KILN_ARCH} scripts/toolchain/build-deps.sh first")
endif()

set(CMAKE_C_COMPILER   "${_kiln_cc_bin}/zig-cc")
set(CMAKE_CXX_COMPILER "${_kiln_cc_bin}/zig-c++")
set(CMAKE_ASM_COMPILER "${_kiln_cc_bin}/zig-cc")
set(CMAKE_AR           "${_kiln_bin}/zig-ar" CACHE FILEPATH "" FORCE)
set(CMAKE_RANLIB       "${_kiln_bin}/zig-ranlib" CACHE FILEPATH "" FORCE)

# Search for libraries, headers and CMake packages only in the prefix; run
# programs (ninja, perl, ...) from the host.
set(CMAKE_FIND_ROOT_PATH "${_kiln_prefix}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# The prefix holds static archives only (build-deps.sh deletes any .so).
set(BUILD_SHARED_LIBS OFF CACHE BOOL "" FORCE)

set(KILN_STATIC ON CACHE BOOL "" FORCE)
