#!/bin/bash
# Builds kiln's third-party libraries as static <cpu>-linux-musl archives
# with zig (scripts/toolchain/install-zig.sh), from Debian bookworm's source
# packages, into a prefix keyed by a hash of the toolchain scripts and the
# architecture (KILN_ARCH: amd64 by default, or arm64, s390x, ppc64le,
# riscv64; see arch.sh):
#
#   ${KILN_CACHE:-/var/cache/kiln}/deps-<hash>          amd64's prefix
#   ${KILN_CACHE:-/var/cache/kiln}/<arch>/deps-<hash>   another architecture's
#   .../deps                                            symlink to the newest complete one
#
# Idempotent: a finished prefix is reused (instant, no network); a prefix
# interrupted half-way resumes at the first library not yet installed.
# Editing this script, install-zig.sh or cmake/zig-musl.cmake changes the hash
# and so builds a fresh prefix. Per-library build times go to
# <prefix>/build-times.log. Needs root only to add the deb-src entry.
#
# Options (environment): KILN_ARCH, KILN_CACHE, KILN_JOBS (default 2),
# KILN_KEEP_BUILD=1 to keep the build trees in ${KILN_CACHE}/build.
# A foreign architecture's configure checks run its test programs under
# qemu-user (CMake's emulator; binfmt_misc for autotools): setup-host.sh
# installs and registers it.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export KILN_CACHE="${KILN_CACHE:-/var/cache/kiln}"
JOBS="${KILN_JOBS:-2}"
TOOLCHAIN="$REPO/cmake/zig-musl.cmake"
# shellcheck source=arch.sh
. "$HERE/arch.sh"
kiln_arch_select

HASH=$( { cat "$HERE/build-deps.sh" "$HERE/install-zig.sh" "$HERE/arch.sh" "$TOOLCHAIN"; echo "$KILN_ARCH"; } | sha256sum | cut -c1-12)
PREFIX="$ARCH_ROOT/deps-$HASH"
LINK="$ARCH_ROOT/deps"
SRC="$KILN_CACHE/src"
BUILD="$KILN_CACHE/build/$HASH"
LOG="$PREFIX/build-times.log"

say() { echo "build-deps: $*" >&2; }

if [ -f "$PREFIX/.complete" ]; then
  [ "$(readlink "$LINK" 2>/dev/null)" = "deps-$HASH" ] || ln -sfn "deps-$HASH" "$LINK"
  say "up to date: $PREFIX"
  echo "$PREFIX"
  exit 0
fi

ZIGBIN="$("$HERE/install-zig.sh")"
ZIGDIR="$KILN_CACHE/zig-${KILN_ZIG_VERSION:-0.11.0}/package"
export CC="$ZIGBIN/zig-cc" CXX="$ZIGBIN/zig-c++" AR="$ZIGBIN/zig-ar" RANLIB="$ZIGBIN/zig-ranlib"
export CFLAGS="-O2" CXXFLAGS="-O2" LDFLAGS="" CPPFLAGS=""
# Make the toolchain file point at the prefix being built.
export KILN_DEPS_PREFIX="$PREFIX"
unset PKG_CONFIG_PATH
export PKG_CONFIG_LIBDIR="$PREFIX/lib/pkgconfig"  # never the host's .pc files

mkdir -p "$PREFIX/include" "$PREFIX/lib" "$PREFIX/.stamps" "$SRC" "$BUILD"
# autotools: --host for a foreign architecture (nothing for the native one).
CONFIGURE_HOST=""
[ "$KILN_ARCH" = amd64 ] || CONFIGURE_HOST="--host=$ARCH_TRIPLE --build=$(uname -m)-linux-gnu"

# fetch_source, unpack, version_of (this script has its own step(), with stamps).
. "$HERE/debian-source.sh"

# ---- Debian source packages ------------------------------------------------
PKGS="zlib mbedtls libzstd xz-utils bzip2 curl libarchive"

have_sources() {
  for p in $PKGS; do ls "$SRC/${p}"_*.dsc >/dev/null 2>&1 || return 1; done
}

if ! have_sources; then
  if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    [ "$(id -u)" = 0 ] || { say "no deb-src entry and not root: add one for bookworm"; exit 1; }
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      say "adding /etc/apt/sources.list.d/kiln-deb-src.sources"
      sed -e 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
        >/etc/apt/sources.list.d/kiln-deb-src.sources
    else
      say "adding /etc/apt/sources.list.d/kiln-deb-src.list"
      grep -hE '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' \
        >/etc/apt/sources.list.d/kiln-deb-src.list
    fi
  fi
  if ! apt-cache showsrc zlib 2>/dev/null | grep '^Package:' >/dev/null; then
    say "apt-get update (no source index yet)"
    apt-get update -qq
  fi
  # The mirror may list a security update it does not serve (zlib
  # 1.2.13.dfsg-1+deb12u1 answered 404 on 2026-12-04): fetch_source falls
  # back to the newest version it can download.
  for p in $PKGS; do fetch_source "$p"; done
fi

# step NAME FUNCTION: run FUNCTION unless NAME is done, log its duration.
step() {
  local name=$1 fn=$2 t0 t1
  if [ -f "$PREFIX/.stamps/$name" ]; then say "$name: already installed"; return; fi
  say "$name: building"
  t0=$(date +%s)
  # A background job, not "fn || ...": errexit is ignored inside a function
  # called in an || context, and every command of a step must stop it.
  ( "$fn" ) >"$BUILD/$name.log" 2>&1 &
  if ! wait $!; then say "$name: FAILED, see $BUILD/$name.log"; tail -40 "$BUILD/$name.log" >&2; exit 1; fi
  t1=$(date +%s)
  find "$PREFIX/lib" -name '*.so*' -delete
  printf '%-12s %4ss  %s\n' "$name" $((t1 - t0)) "$(cat "$BUILD/$name.version" 2>/dev/null)" | tee -a "$LOG" >&2
  touch "$PREFIX/.stamps/$name"
}


cmake_build() { # SRC_DIR BUILD_DIR [cmake args...]: configure, build, install
  local s=$1 b=$2; shift 2
  rm -rf "$b"
  cmake -S "$s" -B "$b" -G "Unix Makefiles" \
    -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib \
    -DCMAKE_POSITION_INDEPENDENT_CODE=OFF -DBUILD_SHARED_LIBS=OFF "$@"
  cmake --build "$b" -j"$JOBS"
  cmake --install "$b"
}

# ---- libraries -------------------------------------------------------------
# Debian's zlib tarball is cut down and breaks zlib's CMake; ./configure works.
build_zlib() {
  version_of zlib >"$BUILD/zlib.version"
  local s; s=$(unpack zlib)
  cd "$s"
  ./configure --static --prefix="$PREFIX" --libdir="$PREFIX/lib"
  make -j"$JOBS" libz.a
  make install
}

build_mbedtls() {
  version_of mbedtls >"$BUILD/mbedtls.version"
  local s; s=$(unpack mbedtls)
  cd "$s"
  python3 scripts/config.py set MBEDTLS_THREADING_C
  python3 scripts/config.py set MBEDTLS_THREADING_PTHREAD
  # The getrandom(2) path is guarded by __GLIBC__: enable it on any Linux
  # libc (musl) so entropy works in a root without /dev/urandom.
  sed -i 's/^#if ((defined(__linux__) \&\& defined(__GLIBC__)) || defined(__midipix__))$/#if defined(__linux__) || defined(__midipix__)/' library/entropy_poll.c
  grep -q '^#if defined(__linux__) || defined(__midipix__)$' library/entropy_poll.c
  cmake_build "$s" "$BUILD/mbedtls" \
    -DENABLE_TESTING=OFF -DENABLE_PROGRAMS=OFF -DMBEDTLS_FATAL_WARNINGS=OFF \
    -DUSE_STATIC_MBEDTLS_LIBRARY=ON -DUSE_SHARED_MBEDTLS_LIBRARY=OFF \
    -DINSTALL_MBEDTLS_HEADERS=ON -DLINK_WITH_PTHREAD=ON
}

build_zstd() {
  version_of libzstd >"$BUILD/zstd.version"
  local s; s=$(unpack libzstd)
  cmake_build "$s/build/cmake" "$BUILD/zstd" \
    -DZSTD_BUILD_STATIC=ON -DZSTD_BUILD_SHARED=OFF -DZSTD_BUILD_PROGRAMS=OFF \
    -DZSTD_BUILD_TESTS=OFF -DZSTD_BUILD_CONTRIB=OFF -DZSTD_LEGACY_SUPPORT=OFF \
    -DZSTD_MULTITHREAD_SUPPORT=ON
}

# xz's CMake breaks under Ninja and builds the tools; autotools builds liblzma only.
build_xz() {
  version_of xz-utils >"$BUILD/xz.version"
  local s; s=$(unpack xz-utils)
  cd "$s"
  # shellcheck disable=SC2086
  ./configure $CONFIGURE_HOST --prefix="$PREFIX" --libdir="$PREFIX/lib" --enable-static --disable-shared \
    --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links \
    --disable-scripts --disable-doc --disable-nls --enable-threads=posix
  make -j"$JOBS" -C src/liblzma
  make -C src/liblzma install
}

build_bzip2() {
  version_of bzip2 >"$BUILD/bzip2.version"
  local s; s=$(unpack bzip2)
  cd "$s"
  make -j"$JOBS" libbz2.a CC="$CC" AR="$AR" RANLIB="$RANLIB" \
    CFLAGS="-O2 -Wall -D_FILE_OFFSET_BITS=64"
  install -m 644 bzlib.h "$PREFIX/include/"
  install -m 644 libbz2.a "$PREFIX/lib/"
}

build_curl() {
  version_of curl >"$BUILD/curl.version"
  local s; s=$(unpack curl)
  cmake_build "$s" "$BUILD/curl" \
    -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
    -DHTTP_ONLY=ON -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON \
    -DCURL_USE_MBEDTLS=ON -DCURL_USE_OPENSSL=OFF -DCURL_USE_WOLFSSL=OFF \
    -DCURL_USE_NSS=OFF -DCURL_USE_BEARSSL=OFF -DCURL_USE_SCHANNEL=OFF \
    -DCURL_ZLIB=ON -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF -DUSE_NGTCP2=OFF \
    -DUSE_QUICHE=OFF -DUSE_MSH3=OFF -DUSE_LIBIDN2=OFF -DCURL_USE_LIBPSL=OFF \
    -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF -DENABLE_ARES=OFF \
    -DENABLE_THREADED_RESOLVER=ON -DENABLE_UNIX_SOCKETS=ON -DCURL_DISABLE_NTLM=ON \
    -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none -DCURL_CA_FALLBACK=OFF \
    -DCURL_DISABLE_PROXY=OFF -DCURL_DISABLE_COOKIES=ON -DCURL_DISABLE_ALTSVC=ON -DCURL_DISABLE_HSTS=ON
}

# libarchive's source tree has a dir named "build": use another build dir name.
build_libarchive() {
  version_of libarchive >"$BUILD/libarchive.version"
  local s; s=$(unpack libarchive)
  # It always builds a shared and a static copy: keep the shared one out of
  # "all" and "install" (halves the build time).
  sed -i -e 's/^ADD_LIBRARY(archive SHARED /ADD_LIBRARY(archive SHARED EXCLUDE_FROM_ALL /' \
         -e 's/^  INSTALL(TARGETS archive archive_static$/  INSTALL(TARGETS archive_static/' \
    "$s/libarchive/CMakeLists.txt"
  grep -q 'INSTALL(TARGETS archive_static$' "$s/libarchive/CMakeLists.txt"
  cmake_build "$s" "$BUILD/libarchive-cmake" \
    -DENABLE_ZLIB=ON -DENABLE_LZMA=ON -DENABLE_BZip2=ON -DENABLE_ZSTD=ON \
    -DENABLE_OPENSSL=OFF -DENABLE_MBEDTLS=OFF -DENABLE_NETTLE=OFF -DENABLE_CNG=OFF \
    -DENABLE_LIBXML2=OFF -DENABLE_EXPAT=OFF -DENABLE_LZ4=OFF -DENABLE_LZO=OFF -DENABLE_LIBB2=OFF \
    -DENABLE_ACL=OFF -DENABLE_XATTR=ON -DENABLE_ICONV=OFF -DENABLE_PCREPOSIX=OFF \
    -DENABLE_TAR=OFF -DENABLE_CPIO=OFF -DENABLE_CAT=OFF -DENABLE_TEST=OFF -DENABLE_COVERAGE=OFF \
    -DENABLE_WERROR=OFF -DENABLE_INSTALL=ON \
    -DPOSIX_REGEX_LIB=LIBC -DREGEX_INCLUDE_DIR="$ZIGDIR/lib/libc/include/generic-musl"
}

build_gtest() {
  echo "googletest $(dpkg-query -W -f='${Version}' googletest 2>/dev/null || echo '?') (/usr/src/googletest)" >"$BUILD/gtest.version"
  [ -f /usr/src/googletest/CMakeLists.txt ] || { echo "install Debian's googletest (libgtest-dev)"; exit 1; }
  cmake_build /usr/src/googletest "$BUILD/gtest" \
    -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON -Dgtest_disable_pthreads=OFF -Dgtest_force_shared_crt=OFF
}

build_json() {
  echo "nlohmann-json $(dpkg-query -W -f='${Version}' nlohmann-json3-dev 2>/dev/null || echo '?') (/usr/include/nlohmann)" >"$BUILD/json.version"
  [ -f /usr/include/nlohmann/json.hpp ] || { echo "install Debian's nlohmann-json3-dev"; exit 1; }
  rm -rf "$PREFIX/include/nlohmann"
  cp -r /usr/include/nlohmann "$PREFIX/include/nlohmann"
}

T0=$(date +%s)
step zlib       build_zlib
step mbedtls    build_mbedtls
step zstd       build_zstd
step xz         build_xz
step bzip2      build_bzip2
step curl       build_curl
step libarchive build_libarchive
step gtest      build_gtest
step json       build_json

# Static archives only: no shared objects, no libtool archives.
find "$PREFIX/lib" \( -name '*.so*' -o -name '*.la' \) -delete
printf '%-12s %4ss\n' "total" $(( $(date +%s) - T0 )) | tee -a "$LOG" >&2
touch "$PREFIX/.complete"
ln -sfn "deps-$HASH" "$LINK"
[ "${KILN_KEEP_BUILD:-0}" = 1 ] || rm -rf "$BUILD"
say "done: $PREFIX (symlinked from $LINK)"
echo "$PREFIX"
