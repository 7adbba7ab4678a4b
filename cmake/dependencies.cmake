# Imported targets kiln::<name> for every third-party library, the same names
# in the host build (Debian -dev packages) and the static build (the prefix
# built by scripts/toolchain/build-deps.sh, found through CMAKE_FIND_ROOT_PATH).
find_package(Threads REQUIRED)
add_library(kiln::threads ALIAS Threads::Threads)

function(kiln_find_static_or_shared target header)
  cmake_parse_arguments(K "" "" "LIBS" ${ARGN})
  find_path(${target}_INCLUDE ${header} REQUIRED)
  set(libs "")
  foreach(l ${K_LIBS})
    if(KILN_STATIC)
      find_library(${target}_${l}_LIB NAMES lib${l}.a REQUIRED)
    else()
      find_library(${target}_${l}_LIB NAMES ${l} REQUIRED)
    endif()
    list(APPEND libs ${${target}_${l}_LIB})
  endforeach()
  add_library(kiln::${target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(kiln::${target} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${${target}_INCLUDE}"
    INTERFACE_LINK_LIBRARIES "${libs}")
endfunction()

# Order inside LIBS matters for static linking: dependents before dependencies.
kiln_find_static_or_shared(mbedtls mbedtls/ssl.h LIBS mbedtls mbedx509 mbedcrypto)
kiln_find_static_or_shared(zlib zlib.h LIBS z)
kiln_find_static_or_shared(zstd zstd.h LIBS zstd)
kiln_find_static_or_shared(curl curl/curl.h LIBS curl)
kiln_find_static_or_shared(archive archive.h LIBS archive)
# Libraries with a static prefix of their own (scripts/toolchain/build-<script>.sh),
# so that rebuilding them never rebuilds the main one: NAME is the prefix's
# symlink under KILN_CACHE (or the environment variable ENV_VAR), LIBS the
# archives in link order, DEPS what they link against.
function(kiln_static_prefix target header)
  cmake_parse_arguments(K "" "NAME;ENV_VAR;SCRIPT" "LIBS;DEPS" ${ARGN})
  if(DEFINED ENV{KILN_CACHE} AND NOT "$ENV{KILN_CACHE}" STREQUAL "")
    set(root "$ENV{KILN_CACHE}")
  else()
    set(root "/var/cache/kiln")
  endif()
  # Foreign architectures' prefixes live in $KILN_CACHE/<arch>/ (arch.sh).
  if(NOT KILN_ARCH STREQUAL "amd64")
    set(root "${root}/${KILN_ARCH}")
  endif()
  if(DEFINED ENV{${K_ENV_VAR}} AND NOT "$ENV{${K_ENV_VAR}}" STREQUAL "")
    set(dir "$ENV{${K_ENV_VAR}}")
  else()
    set(dir "${root}/${K_NAME}")
  endif()
  if(NOT EXISTS "${dir}/.complete")
    message(FATAL_ERROR "static prefix ${dir} not found: run KILN_ARCH=${KILN_ARCH} scripts/toolchain/${K_SCRIPT} first")
  endif()
  # Plain paths, not find_path/find_library: their cache entries would keep
  # pointing at an older prefix after a recipe change renames it.
  if(NOT EXISTS "${dir}/include/${header}")
    message(FATAL_ERROR "static prefix ${dir} has no include/${header}: run scripts/toolchain/${K_SCRIPT}")
  endif()
  set(libs "")
  foreach(l ${K_LIBS})
    if(NOT EXISTS "${dir}/lib/lib${l}.a")
      message(FATAL_ERROR "static prefix ${dir} has no lib/lib${l}.a: run scripts/toolchain/${K_SCRIPT}")
    endif()
    list(APPEND libs "${dir}/lib/lib${l}.a")
  endforeach()
  add_library(kiln::${target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(kiln::${target} PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${dir}/include"
    INTERFACE_LINK_LIBRARIES "${libs};${K_DEPS}")
endfunction()

if(KILN_STATIC)
  # libgit2 1.9 (git:// contexts, ADD <git URL>; shallow fetches).
  kiln_static_prefix(git2 git2.h NAME libgit2 ENV_VAR KILN_GIT_PREFIX SCRIPT build-libgit2.sh
                     LIBS git2 http_parser DEPS kiln::mbedtls kiln::zlib Threads::Threads)
  # SHA-256 with SHA-NI (nettle) and fast inflate (isa-l): build-accel.sh.
  kiln_static_prefix(nettle nettle/sha2.h NAME accel ENV_VAR KILN_ACCEL_PREFIX SCRIPT build-accel.sh LIBS nettle)
  kiln_static_prefix(isal isa-l/igzip_lib.h NAME accel ENV_VAR KILN_ACCEL_PREFIX SCRIPT build-accel.sh LIBS isal)
else()
  kiln_find_static_or_shared(git2 git2.h LIBS git2)
  kiln_find_static_or_shared(nettle nettle/sha2.h LIBS nettle)
  kiln_find_static_or_shared(isal isa-l/igzip_lib.h LIBS isal)
endif()
find_path(json_INCLUDE nlohmann/json.hpp REQUIRED)
add_library(kiln::json INTERFACE IMPORTED GLOBAL)
set_target_properties(kiln::json PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${json_INCLUDE}")

if(KILN_STATIC)
  # Static archives carry no dependency information: spell it out.
  find_library(lzma_LIB NAMES liblzma.a REQUIRED)
  find_library(bz2_LIB NAMES libbz2.a REQUIRED)
  set_property(TARGET kiln::curl APPEND PROPERTY INTERFACE_LINK_LIBRARIES kiln::mbedtls kiln::zlib)
  set_property(TARGET kiln::archive APPEND PROPERTY INTERFACE_LINK_LIBRARIES kiln::zstd ${lzma_LIB} ${bz2_LIB} kiln::zlib)
  set_property(TARGET kiln::curl APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS CURL_STATICLIB)
endif()

if(KILN_TESTS)
  find_package(GTest REQUIRED)
  add_library(kiln::gtest_main INTERFACE IMPORTED GLOBAL)
  set_target_properties(kiln::gtest_main PROPERTIES INTERFACE_LINK_LIBRARIES "GTest::gtest_main;GTest::gmock;Threads::Threads")
endif()
