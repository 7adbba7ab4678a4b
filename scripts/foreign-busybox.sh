#!/bin/sh
# Prints the path of Debian's static BusyBox for one architecture (KILN_ARCH
# name: amd64, arm64, s390x, ppc64le, riscv64), fetched once with
# `apt-get download busybox-static:<debian arch>` after `dpkg
# --add-architecture` and cached in $KILN_CACHE/busybox/<debian arch>/busybox.
# The images of every platform (scripts/build-images.sh) and the foreign-
# architecture e2e smoke take their BusyBox from here. Needs root the first
# time (dpkg, apt-get update); afterwards no network.
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
KILN_CACHE="${KILN_CACHE:-/var/cache/kiln}"
# shellcheck source=toolchain/arch.sh
. "$HERE/toolchain/arch.sh"
KILN_ARCH="${1:?usage: foreign-busybox.sh ARCH}"
kiln_arch_select

dir="$KILN_CACHE/busybox/$ARCH_DEB"
if [ -x "$dir/busybox" ]; then
  echo "$dir/busybox"
  exit 0
fi
say() { echo "foreign-busybox: $*" >&2; }
if [ "$ARCH_DEB" != "$(dpkg --print-architecture)" ] &&
   ! dpkg --print-foreign-architectures | grep -qx "$ARCH_DEB"; then
  say "dpkg --add-architecture $ARCH_DEB"
  dpkg --add-architecture "$ARCH_DEB"
  apt-get update -qq
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download -qq "busybox-static:$ARCH_DEB" >/dev/null 2>&1); then
  say "apt-get update (no package list for $ARCH_DEB yet)"
  apt-get update -qq
  (cd "$tmp" && apt-get download -qq "busybox-static:$ARCH_DEB" >/dev/null)
fi
deb=$(ls "$tmp"/busybox-static_*.deb)
dpkg-deb -x "$deb" "$tmp/x"
mkdir -p "$dir"
install -m 755 "$tmp/x/bin/busybox" "$dir/busybox.tmp"
dpkg-deb -f "$deb" Version >"$dir/version"
mv "$dir/busybox.tmp" "$dir/busybox"
say "busybox-static $(cat "$dir/version") for $ARCH_DEB in $dir"
echo "$dir/busybox"
