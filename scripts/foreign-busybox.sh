#!/bin/sh
# Prints the path of Debian's static BusyBox for one architecture (KILN_ARCH
# name: amd64, arm64, s390x, ppc64le, riscv64), fetched once with
# `apt-get download busybox-static:<debian arch>` after `dpkg
# --add-architecture` (riscv64: from trixie, bookworm has no riscv64) and cached in $KILN_CACHE/busybox/<debian arch>/busybox.
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
# A mirror in the middle of a sync fails an update now and then (a
# transient failure on 2026-12-05; on 2026-12-06 bookworm-security's ppc64el
# index had the wrong size for hours): three tries, ten seconds apart, and
# then on anyway: the other indexes are read, and the download that follows
# is what must succeed.
update() { # [apt-get options...]
  for try in 1 2 3; do
    apt-get "$@" update -qq && return 0
    say "apt-get update failed (try $try of 3)"
    [ "$try" = 3 ] || sleep 10
  done
  say "going on with the indexes that were read"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$ARCH_DEB" = riscv64 ]; then
  # bookworm has no riscv64 port; trixie has, with busybox-static. Read with
  # an apt configuration of its own, so the system's sources and dpkg's
  # architectures stay as they are.
  apt_dir="$KILN_CACHE/apt-trixie-riscv64"
  mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  uri=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
  echo "deb [arch=riscv64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${uri:-http://deb.debian.org/debian} trixie main" \
    >"$apt_dir/list"
  set -- -o Dir::Etc::SourceList="$apt_dir/list" -o Dir::Etc::SourceParts="$apt_dir/parts" \
    -o Dir::State::Lists="$apt_dir/lists" -o Dir::Cache="$apt_dir/cache" \
    -o APT::Sandbox::User=root -o APT::Architectures::=riscv64
  say "reading trixie's riscv64 package index"
  update "$@"
  (cd "$tmp" && apt-get "$@" download -qq "busybox-static:riscv64" >/dev/null)
else
  if [ "$ARCH_DEB" != "$(dpkg --print-architecture)" ] &&
     ! dpkg --print-foreign-architectures | grep -qx "$ARCH_DEB"; then
    say "dpkg --add-architecture $ARCH_DEB"
    dpkg --add-architecture "$ARCH_DEB"
    update
  fi
  if ! (cd "$tmp" && apt-get download -qq "busybox-static:$ARCH_DEB" >/dev/null 2>&1); then
    say "apt-get update (no package list for $ARCH_DEB yet)"
    update
    (cd "$tmp" && apt-get download -qq "busybox-static:$ARCH_DEB" >/dev/null)
  fi
fi
deb=$(ls "$tmp"/busybox-static_*.deb)
dpkg-deb -x "$deb" "$tmp/x"
mkdir -p "$dir"
# /bin/busybox in bookworm's package, /usr/bin/busybox in trixie's.
bin="$tmp/x/bin/busybox"
[ -f "$bin" ] || bin="$tmp/x/usr/bin/busybox"
install -m 755 "$bin" "$dir/busybox.tmp"
dpkg-deb -f "$deb" Version >"$dir/version"
mv "$dir/busybox.tmp" "$dir/busybox"
say "busybox-static $(cat "$dir/version") for $ARCH_DEB in $dir"
echo "$dir/busybox"
