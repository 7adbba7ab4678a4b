#!/bin/bash
# Builds the two libraries that make kiln's hot loops fast, as static
# <cpu>-linux-musl archives (KILN_ARCH, see arch.sh) with the same zig
# toolchain as build-deps.sh, from Debian bookworm's source packages, into a
# prefix of their own:
#
#   nettle 3.8 (sha256 only): a "fat" build that picks the SHA-256
#     instructions at run time where the CPU has them (amd64: SHA-NI, about
#     1 GB/s here against mbedTLS 2.28's software SHA-256 at 125 MB/s; arm64:
#     the ARMv8 crypto extension; s390x: CPACF's KIMD). ppc64le and riscv64
#     have no SHA-256 assembly in nettle 3.8: its portable C there. Every
#     blob, diff_id and snapshot hash goes through it.
#   isa-l 2.30 (igzip, crc): inflate about 2.4 times as fast as zlib's, for
#     unpacking base images and cached layers. Assembly for amd64 (nasm); its
#     portable C elsewhere (Debian's s390x patch makes that big-endian-safe).
#
#   ${KILN_CACHE:-/var/cache/kiln}/accel-<hash>   the prefix (include/, lib/)
#   ${KILN_CACHE:-/var/cache/kiln}/accel          symlink to the newest complete one
#   (${KILN_CACHE}/<arch>/accel-<hash> and .../accel for a foreign architecture)
#
# <hash> covers this script, debian-source.sh, install-zig.sh, arch.sh, the
# toolchain file and the architecture; the main prefix is not involved (neither library needs
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
# shellcheck source=arch.sh
. "$HERE/arch.sh"
kiln_arch_select

HASH=$( { cat "$HERE/build-accel.sh" "$HERE/debian-source.sh" "$HERE/install-zig.sh" "$HERE/arch.sh" "$TOOLCHAIN"; echo "$KILN_ARCH"; } | sha256sum | cut -c1-12)
PREFIX="$ARCH_ROOT/accel-$HASH"
SRC="$KILN_CACHE/src"
BUILD="$KILN_CACHE/build/accel-$HASH"
LOG="$PREFIX/build-times.log"

# shellcheck source=debian-source.sh
. "$HERE/debian-source.sh"
prefix_ready accel "$HASH" && exit 0

tools=m4
[ "$KILN_ARCH" = amd64 ] && tools="m4 nasm"
for tool in $tools; do
  command -v "$tool" >/dev/null || { say "$tool is missing (make setup installs it)"; exit 1; }
done
# build-deps.sh adds the deb-src entry and fetches the source index; without
# them, run it first. (Not otherwise: nettle and isa-l need nothing from its
# prefix, so both may build at the same time.)
if ! apt-cache showsrc nettle 2>/dev/null | grep -q '^Package:'; then "$HERE/build-deps.sh" >/dev/null; fi

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
  # (getauxval's hardware capabilities on arm64 and s390x) when the program
  # starts, so one binary is fast on new CPUs and still runs on old ones.
  # ppc64le's assembly (POWER8 AES/GHASH) and riscv64's (none) do nothing for
  # SHA-256: the portable C there. No public-key part: it would need GMP, and
  # kiln uses none.
  local asm="--enable-fat"
  case "$KILN_ARCH" in ppc64le | ppc64 | riscv64) asm="--disable-assembler --disable-fat" ;; esac
  # shellcheck disable=SC2086
  ./configure --host="$ARCH_TRIPLE" --prefix="$PREFIX" --libdir="$PREFIX/lib" \
    $asm --disable-shared --disable-public-key --disable-documentation \
    --disable-openssl --disable-pic
  make -j"$JOBS" libnettle.a
  make install-headers
  install -m 644 libnettle.a "$PREFIX/lib/"
}

build_isal() {
  version_of libisal >"$BUILD/isa-l.version"
  local s; s=$(unpack libisal)
  cd "$s"
  # Makefile.unx builds without autotools; only the compression units. Its
  # host_cpu picks the assembly: x86_64 (nasm), or the portable C
  # ("base_aliases") everywhere else. Its aarch64 assembly is not used: clang's
  # assembler refuses isa-l 2.30's igzip/aarch64/gen_icf_map.S ("sub x_tmp1,
  # next_in, x_dist, uxtw": expected 'sxtx' 'uxtx' or 'lsl'), which GNU as takes.
  local cpu=base_aliases
  [ "$KILN_ARCH" = amd64 ] && cpu=x86_64
  make -f Makefile.unx -j"$JOBS" units="igzip crc" CC="$CC" AR="$AR" host_cpu="$cpu" lib
  mkdir -p "$PREFIX/include/isa-l"
  install -m 644 include/*.h "$PREFIX/include/isa-l/"
  install -m 644 bin/isa-l.a "$PREFIX/lib/libisal.a"
}

T0=$(date +%s)
step nettle build_nettle
step isa-l  build_isal
prefix_finish accel "$HASH" "$T0"
