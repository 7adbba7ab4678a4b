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
# libgit2 (git:// contexts). The static one has its own prefix, built by
# scripts/toolchain/build-libgit2.sh so that it never rebuilds the others.
if(KILN_STATIC)
  if(DEFINED ENV{KILN_GIT_PREFIX} AND NOT "$ENV{KILN_GIT_PREFIX}" STREQUAL "")
    set(_kiln_git "$ENV{KILN_GIT_PREFIX}")
  elseif(DEFINED ENV{KILN_CACHE} AND NOT "$ENV{KILN_CACHE}" STREQUAL "")
    set(_kiln_git "$ENV{KILN_CACHE}/git")
  else()
    set(_kiln_git "/var/cache/kiln/git")
  endif()
  if(NOT EXISTS "${_kiln_git}/.complete")
    message(FATAL_ERROR "static libgit2 prefix ${_kiln_git} not found: run scripts/toolchain/build-libgit2.sh first")
  endif()
  find_path(git2_INCLUDE git2.h PATHS "${_kiln_git}/include" NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH REQUIRED)
  find_library(git2_git2_LIB NAMES libgit2.a PATHS "${_kiln_git}/lib" NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH REQUIRED)
  find_library(git2_http_parser_LIB NAMES libhttp_parser.a PATHS "${_kiln_git}/lib" NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH REQUIRED)
  add_library(kiln::git2 INTERFACE IMPORTED GLOBAL)
  set_target_properties(kiln::git2 PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${git2_INCLUDE}"
    INTERFACE_LINK_LIBRARIES "${git2_git2_LIB};${git2_http_parser_LIB};kiln::mbedtls;kiln::zlib;Threads::Threads")
else()
  kiln_find_static_or_shared(git2 git2.h LIBS git2)
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
