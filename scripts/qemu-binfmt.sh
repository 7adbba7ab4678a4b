#!/bin/sh
# Lets this machine run the static binaries kiln builds for other
# architectures (scripts/toolchain/arch.sh): mounts binfmt_misc when it is
# not mounted and enables Debian's qemu-user-static registration of each
# architecture given (default: all of kiln's foreign ones). Debian registers
# them with the F flag (the interpreter is opened once, at registration), so
# the binaries also run inside a chroot that holds no qemu. Idempotent; needs
# root and the packages qemu-user-static and binfmt-support (setup-host.sh).
set -eu
HERE="$(cd "$(dirname "$0")" && pwd)"
KILN_CACHE="${KILN_CACHE:-/var/cache/kiln}"
# shellcheck source=toolchain/arch.sh
. "$HERE/toolchain/arch.sh"

arches="${*:-arm64 s390x ppc64le riscv64 ppc64}"
dir=/proc/sys/fs/binfmt_misc
[ -f "$dir/status" ] || mount -t binfmt_misc binfmt_misc "$dir"
for a in $arches; do
  KILN_ARCH=$a
  kiln_arch_select
  [ "$KILN_ARCH" = amd64 ] && continue
  if ! grep -qs '^enabled' "$dir/$ARCH_QEMU"; then
    [ -f "/usr/share/binfmts/$ARCH_QEMU" ] || { echo "qemu-binfmt: no $ARCH_QEMU format: install qemu-user-static and binfmt-support" >&2; exit 1; }
    update-binfmts --enable "$ARCH_QEMU"
  fi
  grep -qs '^enabled' "$dir/$ARCH_QEMU" || { echo "qemu-binfmt: $ARCH_QEMU could not be enabled" >&2; exit 1; }
done
echo "qemu-binfmt: enabled for $arches"
