#!/bin/bash
# Builds libgit2 (for git:// build contexts and ADD <git URL>) as a static
# <cpu>-linux-musl archive (KILN_ARCH, see arch.sh) with the same zig
# toolchain as build-deps.sh, into its own prefix:
#
#   ${KILN_CACHE:-/var/cache/kiln}/libgit2-<hash>   the prefix (include/, lib/)
#   ${KILN_CACHE:-/var/cache/kiln}/libgit2          symlink to the newest complete one
#   (${KILN_CACHE}/<arch>/libgit2-<hash> and .../libgit2 for a foreign architecture)
#
# libgit2 comes from Debian trixie's source package (1.9: shallow fetches,
# git_fetch_options.depth; bookworm's 1.5 has none), http-parser from
# bookworm's (trixie's libgit2 builds against the same 2.9.4). Trixie's source
# index is read through an apt configuration of this script's own under
# $KILN_CACHE/apt-trixie, so the system's apt sources never list trixie (they
# would make `apt-get source` pick trixie's versions for the main prefix too),
# and its downloads go to $KILN_CACHE/src/trixie (unpack takes the newest
# .dsc of a directory: bookworm recipes must never see 1.9 there).
#
# The prefix and its symlink are not named git-<hash>/git as the libgit2 1.5
# recipe's were: worktrees still on that recipe keep their own symlink.
#
# <hash> covers this script, debian-source.sh and the main dependency prefix it links against
# (mbedTLS for HTTPS, zlib; its name carries the architecture), so editing either rebuilds libgit2 only, and
# editing this script never rebuilds the main prefix.
#
# Idempotent: a finished prefix is reused (instant, no network). Build times
# go to <prefix>/build-times.log. Options (environment): KILN_CACHE,
# KILN_JOBS (default 2), KILN_KEEP_BUILD=1 to keep the build tree,
# KILN_DEPS_PREFIX (the main prefix, when it is already known).
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

# The main prefix (instant when it is complete; builds it otherwise).
DEPS="${KILN_DEPS_PREFIX:-$("$HERE/build-deps.sh")}"
HASH=$( { cat "$HERE/build-libgit2.sh" "$HERE/debian-source.sh"; basename "$DEPS"; } | sha256sum | cut -c1-12)
PREFIX="$ARCH_ROOT/libgit2-$HASH"
SRC="$KILN_CACHE/src"
TRIXIE_SRC="$KILN_CACHE/src/trixie"
TRIXIE_APT="$KILN_CACHE/apt-trixie"
BUILD="$KILN_CACHE/build/libgit2-$HASH"
LOG="$PREFIX/build-times.log"

# shellcheck source=debian-source.sh
. "$HERE/debian-source.sh"
prefix_ready libgit2 "$HASH" && exit 0

ZIGBIN="$("$HERE/install-zig.sh")"
export CC="$ZIGBIN/zig-cc" AR="$ZIGBIN/zig-ar" RANLIB="$ZIGBIN/zig-ranlib"
# The toolchain file searches this prefix only: mbedTLS and zlib come from it.
export KILN_DEPS_PREFIX="$DEPS"
unset PKG_CONFIG_PATH
export PKG_CONFIG_LIBDIR="$DEPS/lib/pkgconfig"

rm -rf "$PREFIX" "$BUILD"
mkdir -p "$PREFIX/include" "$PREFIX/lib" "$SRC" "$TRIXIE_SRC" "$BUILD"

# ---- Debian source packages ------------------------------------------------
# apt-get/apt-cache reading only trixie's deb-src index, kept in $TRIXIE_APT
# (lists and caches too: the system's stay as they are). The mirror is the
# one the system's bookworm entries use.
trixie_apt() { # apt-get|apt-cache ARGS...
  local tool=$1; shift
  "$tool" -o Dir::Etc::SourceList="$TRIXIE_APT/trixie.list" -o Dir::Etc::SourceParts="$TRIXIE_APT/parts" \
    -o Dir::State::Lists="$TRIXIE_APT/lists" -o Dir::Cache="$TRIXIE_APT/cache" \
    -o APT::Sandbox::User=root "$@"
}

fetch_trixie_source() { # PKG
  local p=$1 uri
  ls "$TRIXIE_SRC/${p}"_*.dsc >/dev/null 2>&1 && return 0
  mkdir -p "$TRIXIE_APT/parts" "$TRIXIE_APT/lists/partial" "$TRIXIE_APT/cache/archives/partial"
  uri=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
  echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${uri:-http://deb.debian.org/debian} trixie main" \
    >"$TRIXIE_APT/trixie.list"
  say "reading trixie's source index"
  trixie_apt apt-get update -qq
  say "downloading source package $p (trixie)"
  (cd "$TRIXIE_SRC" && trixie_apt apt-get source --download-only -qq "$p")
}

fetch_source http-parser
fetch_trixie_source libgit2

# ---- libraries -------------------------------------------------------------
# Debian's libgit2 tarball keeps only deps/xdiff: its HTTP parser is this one C file.
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
  SRC="$TRIXIE_SRC" version_of libgit2 >"$BUILD/libgit2.version"
  local s; s=$(SRC="$TRIXIE_SRC" unpack libgit2)
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
    -DUSE_HTTP_PARSER=http-parser \
    -DHTTP_PARSER_INCLUDE_DIR="$PREFIX/include" -DHTTP_PARSER_LIBRARY="$PREFIX/lib/libhttp_parser.a"
  cmake --build "$BUILD/libgit2" -j"$JOBS"
  cmake --install "$BUILD/libgit2"
}

T0=$(date +%s)
step http-parser build_http_parser
step libgit2     build_libgit2

echo "$DEPS" >"$PREFIX/deps-prefix"
prefix_finish libgit2 "$HASH" "$T0"
