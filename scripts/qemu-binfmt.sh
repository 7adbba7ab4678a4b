#!/bin/sh
# Lets this machine run other architectures' programs: mounts binfmt_misc
# when it is not mounted and enables Debian's qemu-user-static registration
# of each qemu architecture given (aarch64, s390x, ppc64le, riscv64, ...).
# Debian registers them with the F flag (the emulator is opened once, at
# registration), so the programs also run inside a chroot or container that
# holds no qemu, which is what RUN steps of a --custom-platform build need.
# Idempotent; needs root, qemu-user-static and binfmt-support.
set -eu
dir=/proc/sys/fs/binfmt_misc
[ -f "$dir/status" ] || mount -t binfmt_misc binfmt_misc "$dir"
for a in "$@"; do
  name="qemu-$a"
  if ! grep -qs '^enabled' "$dir/$name"; then
    [ -f "/usr/share/binfmts/$name" ] || { echo "qemu-binfmt: no $name format: install qemu-user-static and binfmt-support" >&2; exit 1; }
    update-binfmts --enable "$name"
  fi
  grep -qs '^enabled' "$dir/$name" || { echo "qemu-binfmt: $name could not be enabled" >&2; exit 1; }
done
echo "qemu-binfmt: enabled for $*"
