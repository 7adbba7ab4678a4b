# CMake toolchain file for kiln's shipping build: fully static x86_64 musl
# binaries compiled by zig 0.11 (zig cc / zig c++), linked against the static
# dependency prefix that scripts/toolchain/build-deps.sh builds.
#
#   scripts/toolchain/build-deps.sh            # once; cached in $KILN_CACHE
#   cmake -S . -B build/static -G Ninja -DCMAKE_BUILD_TYPE=Release \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/zig-musl.cmake
#
# Environment:
#   KILN_CACHE        cache dir holding zig and the prefix (/var/cache/kiln)
#   KILN_DEPS_PREFIX  override the prefix (build-deps.sh sets it while building)
#   KILN_ZIG_VERSION  zig version installed by install-zig.sh (0.11.0)
#
# CMAKE_SYSTEM_NAME is deliberately not set: host and target are both
# x86_64 Linux and static musl programs run here, so try_run checks work.

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
set(_kiln_bin "${_kiln_cache}/zig-${_kiln_zig_version}/bin")

if(NOT EXISTS "${_kiln_bin}/zig-c++")
  message(FATAL_ERROR "zig wrappers not found in ${_kiln_bin}: run scripts/toolchain/build-deps.sh "
                      "(or scripts/toolchain/install-zig.sh) first, with the same KILN_CACHE")
endif()
if(NOT EXISTS "${_kiln_prefix}/include")
  message(FATAL_ERROR "static dependency prefix ${_kiln_prefix} not found: run scripts/toolchain/build-deps.sh first")
endif()

set(CMAKE_C_COMPILER   "${_kiln_bin}/zig-cc")
set(CMAKE_CXX_COMPILER "${_kiln_bin}/zig-c++")
set(CMAKE_ASM_COMPILER "${_kiln_bin}/zig-cc")
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
