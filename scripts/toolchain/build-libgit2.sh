#!/bin/bash
# Builds libgit2 (for git:// build contexts) as a static <cpu>-linux-musl
# archive (KILN_ARCH, see arch.sh) with the same zig toolchain as build-deps.sh, from Debian bookworm's
# source packages libgit2 and http-parser, into its own prefix:
#
#   ${KILN_CACHE:-/var/cache/kiln}/git-<hash>   the prefix (include/, lib/)
#   ${KILN_CACHE:-/var/cache/kiln}/git          symlink to the newest complete one
#   (${KILN_CACHE}/<arch>/git-<hash> and .../git for a foreign architecture)
#
# <hash> covers this script, debian-source.sh and the main dependency prefix it
# links against (whose name carries the architecture)
# (mbedTLS for HTTPS, zlib), so editing either rebuilds libgit2 only, and
# editing this script never rebuilds the main prefix.
#
# Idempotent: a finished prefix is reused (instant, no network). Build times
# go to <prefix>/build-times.log. Options (environment): KILN_CACHE,
# KILN_JOBS (default 2), KILN_KEEP_BUILD=1 to keep the build tree,
# KILN_DEPS_PREFIX (see above).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export KILN_CACHE="${KILN_CACHE:-/var/cache/kiln}"
JOBS="${KILN_JOBS:-2}"
TOOLCHAIN="$REPO/cmake/zig-musl.cmake"

say() { echo "build-libgit2: $*" >&2; }
# shellcheck source=arch.sh
. "$HERE/arch.sh"
kiln_arch_select

# The main prefix (instant when it is complete; builds it otherwise), or
# KILN_DEPS_PREFIX: libgit2 needs only its mbedTLS and zlib, so it can build
# while build-deps.sh is still at the later libraries.
DEPS="${KILN_DEPS_PREFIX:-$("$HERE/build-deps.sh")}"
HASH=$( { cat "$HERE/build-libgit2.sh" "$HERE/debian-source.sh"; basename "$DEPS"; } | sha256sum | cut -c1-12)
PREFIX="$ARCH_ROOT/git-$HASH"
SRC="$KILN_CACHE/src"
BUILD="$KILN_CACHE/build/git-$HASH"
LOG="$PREFIX/build-times.log"

# shellcheck source=debian-source.sh
. "$HERE/debian-source.sh"
prefix_ready git "$HASH" && exit 0

ZIGBIN="$("$HERE/install-zig.sh")"
export CC="$ZIGBIN/zig-cc" AR="$ZIGBIN/zig-ar" RANLIB="$ZIGBIN/zig-ranlib"
# The toolchain file searches this prefix only: mbedTLS and zlib come from it.
export KILN_DEPS_PREFIX="$DEPS"
unset PKG_CONFIG_PATH
export PKG_CONFIG_LIBDIR="$DEPS/lib/pkgconfig"

rm -rf "$PREFIX" "$BUILD"
mkdir -p "$PREFIX/include" "$PREFIX/lib" "$SRC" "$BUILD"

# ---- Debian source packages ------------------------------------------------
fetch_source http-parser
fetch_source libgit2

# ---- libraries -------------------------------------------------------------
# Debian's libgit2 tarball has no deps/: its HTTP parser is this one C file.
build_http_parser() {
  version_of http-parser >"$BUILD/http-parser.version"
  local s; s=$(unpack http-parser)
  cd "$s"
  "$CC" -O2 -DHTTP_PARSER_STRICT=0 -c http_parser.c -o http_parser.o
  rm -f libhttp_parser.a
  "$AR" rcs libhttp_parser.a http_parser.o
  install -m 644 http_parser.h "$PREFIX/include/"
  install -m 644 libhttp_parser.a "$PREFIX/lib/"
}

build_libgit2() {
  version_of libgit2 >"$BUILD/libgit2.version"
  local s; s=$(unpack libgit2)
  # With mbedTLS, libgit2 bakes the build host's OpenSSL CA path in as the
  # default; kiln sets the CA locations at run time instead (the container's
  # paths are not the build host's).
  sed -i 's/^\t\tif(NOT CERT_LOCATION)$/\t\tif(FALSE)/' "$s/cmake/SelectHTTPSBackend.cmake"
  grep -q '^		if(FALSE)$' "$s/cmake/SelectHTTPSBackend.cmake"
  cmake -S "$s" -B "$BUILD/libgit2" -G "Unix Makefiles" \
    -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" -DCMAKE_INSTALL_LIBDIR=lib \
    -DCMAKE_POSITION_INDEPENDENT_CODE=OFF -DBUILD_SHARED_LIBS=OFF \
    -DBUILD_TESTS=OFF -DBUILD_CLI=OFF -DBUILD_EXAMPLES=OFF -DBUILD_FUZZERS=OFF \
    -DUSE_HTTPS=mbedTLS -DUSE_SHA1=CollisionDetection -DUSE_SHA256=mbedTLS \
    -DUSE_SSH=OFF -DUSE_GSSAPI=OFF -DUSE_NTLMCLIENT=OFF -DUSE_BUNDLED_ZLIB=OFF \
    -DUSE_THREADS=ON -DREGEX_BACKEND=regcomp \
    -DUSE_HTTP_PARSER=system \
    -DHTTP_PARSER_INCLUDE_DIR="$PREFIX/include" -DHTTP_PARSER_LIBRARY="$PREFIX/lib/libhttp_parser.a"
  cmake --build "$BUILD/libgit2" -j"$JOBS"
  cmake --install "$BUILD/libgit2"
}

T0=$(date +%s)
step http-parser build_http_parser
step libgit2     build_libgit2

echo "$DEPS" >"$PREFIX/deps-prefix"
prefix_finish git "$HASH" "$T0"
