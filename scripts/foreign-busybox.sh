#!/bin/sh
# Prints the path of Debian's static BusyBox for one Debian architecture
# (arm64, s390x, ppc64el, ...), fetched once with `apt-get download
# busybox-static:<arch>` after `dpkg --add-architecture` and kept in
# $KILN_CACHE/busybox/<arch>/busybox. Base images for other platforms in the
# tests are made of it. Needs root the first time; afterwards no network.
set -eu
KILN_CACHE="${KILN_CACHE:-/var/cache/kiln}"
arch="${1:?usage: foreign-busybox.sh DEBIAN_ARCH}"
dir="$KILN_CACHE/busybox/$arch"
if [ -x "$dir/busybox" ]; then
  echo "$dir/busybox"
  exit 0
fi
say() { echo "foreign-busybox: $*" >&2; }
if [ "$arch" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
  say "dpkg --add-architecture $arch"
  dpkg --add-architecture "$arch"
  apt-get update -qq
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download -qq "busybox-static:$arch" >/dev/null 2>&1); then
  say "apt-get update (no package list for $arch yet)"
  apt-get update -qq
  (cd "$tmp" && apt-get download -qq "busybox-static:$arch" >/dev/null)
fi
deb=$(ls "$tmp"/busybox-static_*.deb)
dpkg-deb -x "$deb" "$tmp/x"
mkdir -p "$dir"
install -m 755 "$tmp/x/bin/busybox" "$dir/busybox.tmp"
dpkg-deb -f "$deb" Version >"$dir/version"
mv "$dir/busybox.tmp" "$dir/busybox"
say "busybox-static $(cat "$dir/version") for $arch in $dir"
echo "$dir/busybox"
