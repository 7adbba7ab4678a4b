#!/bin/bash
# Builds the two libraries that make kiln's hot loops fast, as static
# x86_64-linux-musl archives with the same zig toolchain as build-deps.sh, from
# Debian bookworm's source packages, into a prefix of their own:
#
#   nettle 3.8 (sha256 only): a "fat" build that picks the SHA-NI code at run
#     time where the CPU has it, about 1 GB/s here against mbedTLS 2.28's
#     software SHA-256 at 125 MB/s. Every blob, diff_id and snapshot hash
#     goes through it.
#   isa-l 2.30 (igzip, crc): inflate about 2.4 times as fast as zlib's, for
#     unpacking base images and cached layers.
#
#   ${KILN_CACHE:-/var/cache/kiln}/accel-<hash>   the prefix (include/, lib/)
#   ${KILN_CACHE:-/var/cache/kiln}/accel          symlink to the newest complete one
#
# <hash> covers this script, debian-source.sh, install-zig.sh and the
# toolchain file; the main prefix is not involved (neither library needs
# another), so editing this script rebuilds these two only (about 15 s).
# Needs m4 (nettle's assembly) and nasm (isa-l's). Options (environment):
# KILN_CACHE, KILN_JOBS (default 2), KILN_KEEP_BUILD=1 to keep the build tree.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export KILN_CACHE="${KILN_CACHE:-/var/cache/kiln}"
JOBS="${KILN_JOBS:-2}"
TOOLCHAIN="$REPO/cmake/zig-musl.cmake"

say() { echo "build-accel: $*" >&2; }

HASH=$(cat "$HERE/build-accel.sh" "$HERE/debian-source.sh" "$HERE/install-zig.sh" "$TOOLCHAIN" | sha256sum | cut -c1-12)
PREFIX="$KILN_CACHE/accel-$HASH"
SRC="$KILN_CACHE/src"
BUILD="$KILN_CACHE/build/accel-$HASH"
LOG="$PREFIX/build-times.log"

# shellcheck source=debian-source.sh
. "$HERE/debian-source.sh"
prefix_ready accel "$HASH" && exit 0

for tool in m4 nasm; do
  command -v "$tool" >/dev/null || { say "$tool is missing (make setup installs it)"; exit 1; }
done
# The deb-src entry and the source index (instant once they are there).
"$HERE/build-deps.sh" >/dev/null

ZIGBIN="$("$HERE/install-zig.sh")"
export CC="$ZIGBIN/zig-cc" AR="$ZIGBIN/zig-ar" RANLIB="$ZIGBIN/zig-ranlib"

rm -rf "$PREFIX" "$BUILD"
mkdir -p "$PREFIX/include" "$PREFIX/lib" "$SRC" "$BUILD"

# ---- Debian source packages ------------------------------------------------
fetch_source nettle
fetch_source libisal

# ---- libraries -------------------------------------------------------------
build_nettle() {
  version_of nettle >"$BUILD/nettle.version"
  local s; s=$(unpack nettle)
  cd "$s"
  # --enable-fat: the SHA-NI (and AES-NI, ...) routines are chosen by CPUID
  # when the program starts, so one binary is fast on new CPUs and still runs
  # on old ones. No public-key part: it would need GMP, and kiln uses none.
  ./configure --host=x86_64-linux-musl --prefix="$PREFIX" --libdir="$PREFIX/lib" \
    --enable-fat --disable-shared --disable-public-key --disable-documentation \
    --disable-openssl --disable-pic
  make -j"$JOBS" libnettle.a
  make install-headers
  install -m 644 libnettle.a "$PREFIX/lib/"
}

build_isal() {
  version_of libisal >"$BUILD/isa-l.version"
  local s; s=$(unpack libisal)
  cd "$s"
  # Makefile.unx builds without autotools; only the compression units.
  make -f Makefile.unx -j"$JOBS" units="igzip crc" CC="$CC" AR="$AR" lib
  mkdir -p "$PREFIX/include/isa-l"
  install -m 644 include/*.h "$PREFIX/include/isa-l/"
  install -m 644 bin/isa-l.a "$PREFIX/lib/libisal.a"
}

T0=$(date +%s)
step nettle build_nettle
step isa-l  build_isal
prefix_finish accel "$HASH" "$T0"
