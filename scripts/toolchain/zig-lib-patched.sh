#!/bin/sh
# Prints a zig lib directory (ZIG_LIB_DIR) with kiln's patches to zig's
# bundled runtime sources applied, making it first if needed:
#   ${KILN_CACHE:-/var/cache/kiln}/zig-<version>/lib-patched-<hash>/
# a copy of zig's lib/ (hard links where the filesystem allows) in which each
# patched file is a file of its own. zig builds libunwind, libc++ and musl
# from these sources at link time, so only the link needs it.
#
# The patches (patches/zig-<version>-*.patch), used for ARCH=ppc64 and
# ARCH=ppc64le (CMakeLists.txt):
#   libunwind-ppc64-cr  LLVM 16's libunwind reads the condition register's
#       save slot (a 32-bit word at CFA+8, `mfcr r12; stw r12,8(r1)`) as 64
#       bits. On big-endian ppc64 that puts the next word of the frame header
#       into CR, so after a C++ exception is caught the caller's cr2-cr4 hold
#       garbage and branches on them go wrong (gtest's repeat loop never
#       ending, SIGSEGVs). On little-endian the low half is the word, so the
#       patch changes nothing there.
#   libunwind-ppc64-vector  It restores the callee-saved vector registers
#       v20-v31 only where VRSAVE marks them in use, a convention Linux
#       compilers do not keep (VRSAVE stays 0), so after a caught exception
#       they hold whatever the code below left in them. On little-endian its
#       own save and restore (stxvd2x/lxvd2x) also swap their doublewords
#       against the layout the compiler saves them in. Both byte orders.
#
# Kept out of install-zig.sh on purpose: that script is part of the
# dependency prefixes' hash, and the prefixes do not depend on libunwind.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
ZIG_VERSION="${KILN_ZIG_VERSION:-0.11.0}"
KILN_CACHE="${KILN_CACHE:-/var/cache/kiln}"
ZIG_HOME="$KILN_CACHE/zig-$ZIG_VERSION"
SRC="$ZIG_HOME/package/lib"
[ -d "$SRC" ] || { echo "zig-lib-patched.sh: $SRC not found: run scripts/toolchain/install-zig.sh" >&2; exit 1; }
PATCHES=$(ls "$HERE/patches/zig-$ZIG_VERSION-"*.patch 2>/dev/null || true)
[ -n "$PATCHES" ] || { echo "$SRC"; exit 0; }
HASH=$(cat $PATCHES | sha256sum | cut -c1-12)
OUT="$ZIG_HOME/lib-patched-$HASH"
if [ -f "$OUT/.complete" ]; then
  echo "$OUT"
  exit 0
fi
tmp=$(mktemp -d "$ZIG_HOME/.lib-patched.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp -al "$SRC" "$tmp/lib" 2>/dev/null || { rm -rf "$tmp/lib"; cp -a "$SRC" "$tmp/lib"; }
for p in $PATCHES; do
  # Each file the patch touches becomes a copy first, so the hard links into
  # zig's own lib/ are never written through.
  for f in $(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$p"); do
    cp "$tmp/lib/$f" "$tmp/lib/$f.copy" && mv -f "$tmp/lib/$f.copy" "$tmp/lib/$f"
  done
  patch -s -p1 -d "$tmp/lib" <"$p"
done
touch "$tmp/lib/.complete"
if ! mv -T "$tmp/lib" "$OUT" 2>/dev/null; then
  [ -f "$OUT/.complete" ] || { echo "zig-lib-patched.sh: could not create $OUT" >&2; exit 1; }
fi
echo "$OUT"
