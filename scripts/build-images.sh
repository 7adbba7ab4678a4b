#!/usr/bin/env bash
# build-images.sh STATIC_BUILD_DIR [OUT_DIR]
#
# Builds kiln's three images with kiln's own executor (in scripts/sandbox.sh;
# no Docker, no buildah) from image/Dockerfile, each one multi-platform: one
# kiln invocation per target with --custom-platform for every architecture of
# KILN_IMAGE_ARCHES (default "amd64 arm64 s390x ppc64le riscv64"), each platform with its own static
# binaries and its own architecture's BusyBox:
#   executor  FROM scratch: /kaniko/executor, /kaniko/warmer, /kaniko/ssl/certs/ca-certificates.crt
#             (the host's Debian bundle), an empty writable /kaniko/.docker/, /etc/nsswitch.conf
#   debug     the same plus /busybox (shell/install-busybox.sh), on PATH, WORKDIR /workspace
#   warmer    the executor image with ENTRYPOINT ["/kaniko/warmer"]
# STATIC_BUILD_DIR holds amd64's executor and warmer (make static); another
# architecture's are in STATIC_BUILD_DIR-<arch> (make foreign-bins,
# the Makefile's naming), its BusyBox from scripts/foreign-busybox.sh.
# Output in OUT_DIR (default REPO/build/images):
#   NAME/          OCI image layout: tag VERSION is the image index (a plain
#                  manifest when KILN_IMAGE_ARCHES has one architecture), tags
#                  VERSION-<arch> each platform's manifest (umoci unpack --image NAME:VERSION-amd64)
#   NAME.tar       docker-archive of the first architecture's image (docker load / skopeo docker-archive:), named kiln/NAME:VERSION
#   NAME.digest    the digest of tag VERSION (the index)
#   sizes.txt      compressed size of each platform's image (config + layers, as a registry stores it)
# Every build is --reproducible: the same inputs give the same digests.
#
# Environment: KILN_IMAGE_ARCHES, KILN_VERSION (default: CMakeLists.txt's
# project version), KILN_REVISION (default: git rev-parse --short HEAD),
# KILN_SOURCE (default: git remote origin, else
# https://github.com/kiln-build/kiln), BUSYBOX (amd64's, default /bin/busybox),
# KILN_CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt).
#
# One thing needs care, because of the executor's snapshot ignore list:
#   /kaniko is the executor's own directory and never snapshotted: the build
#     runs the executor from /kiln-self with --kaniko-dir=/kiln-self, so that
#     COPY kaniko-<arch>/ /kaniko/ lands in the layer.
set -euo pipefail

SELF="$(readlink -f "${BASH_SOURCE[0]}")"
REPO="$(dirname "$(dirname "$SELF")")"
die() { echo "build-images.sh: $*" >&2; exit 1; }

[[ $# -ge 1 && $# -le 2 ]] || die "usage: build-images.sh STATIC_BUILD_DIR [OUT_DIR]"
static="$(readlink -f "$1")"
out="${2:-$REPO/build/images}"
[[ $(id -u) == 0 ]] || die "must run as root (the sandbox uses unshare and chroot)"
for t in skopeo:skopeo umoci:umoci jq:jq unshare:util-linux file:file; do
    command -v "${t%%:*}" >/dev/null || die "'${t%%:*}' not found: apt-get install ${t#*:}"
done
arches="${KILN_IMAGE_ARCHES:-amd64 arm64 s390x ppc64le riscv64}"
static_for() { if [[ "$1" == amd64 ]]; then echo "$static"; else echo "$static-$1"; fi; }
declare -A machine=([amd64]=x86-64 [arm64]=aarch64 [s390x]="IBM S/390" [ppc64le]="64-bit PowerPC" [riscv64]=RISC-V)
platforms=""
for a in $arches; do
    [[ -n "${machine[$a]:-}" ]] || die "KILN_IMAGE_ARCHES: unknown architecture '$a' (amd64 arm64 s390x ppc64le riscv64)"
    hint="make static"; [[ "$a" == amd64 ]] || hint="make foreign-bins IMAGE_ARCHES=\"$arches\""
    for b in executor warmer; do
        bin="$(static_for "$a")/$b"
        [[ -x "$bin" ]] || die "$bin missing: run '$hint'"
        desc="$(file -L "$bin")"
        [[ "$desc" == *"statically linked"* || "$desc" == *"static-pie linked"* ]] \
            || die "$bin is not statically linked ($desc)"
        [[ "$desc" == *"${machine[$a]}"* ]] || die "$bin is not a $a binary ($desc)"
    done
    platforms="${platforms:+$platforms,}linux/$a"
done
[[ -n "$platforms" ]] || die "KILN_IMAGE_ARCHES is empty"
first="${platforms%%,*}"; first="${first#linux/}"  # the docker-archive's platform
ca_bundle="${KILN_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
[[ -s "$ca_bundle" ]] || die "$ca_bundle missing: apt-get install ca-certificates"

version="${KILN_VERSION:-$(sed -n 's/^project(kiln VERSION \([^ ]*\) .*/\1/p' "$REPO/CMakeLists.txt")}"
version="${version:-0.0.0}"
revision="${KILN_REVISION:-$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)}"
source_url="${KILN_SOURCE:-$(git -C "$REPO" remote get-url origin 2>/dev/null || true)}"
source_url="${source_url:-https://github.com/kiln-build/kiln}"

mkdir -p "$out"
out="$(readlink -f "$out")"
work="$(mktemp -d "${TMPDIR:-/tmp}/kiln-images.XXXXXX")"
trap 'rm -rf --one-file-system "$work"' EXIT

# --- the build context: a staging directory -----------------------------------
ctx="$work/context"
mkdir -p "$ctx/etc"
install -m 0644 "$REPO/image/nsswitch.conf" "$ctx/etc/nsswitch.conf"
install -m 0644 "$REPO/image/Dockerfile" "$ctx/Dockerfile"
for a in $arches; do
    k="$ctx/kaniko-$a"
    mkdir -p "$k/ssl/certs" "$k/.docker"
    install -m 0755 "$(static_for "$a")/executor" "$k/executor"
    install -m 0755 "$(static_for "$a")/warmer" "$k/warmer"
    install -m 0644 "$ca_bundle" "$k/ssl/certs/ca-certificates.crt"
    chmod 0777 "$k/.docker"   # writable for whoever runs the image (GitLab writes config.json)
    chmod 0755 "$k" "$k/ssl" "$k/ssl/certs"
    bb="${BUSYBOX:-/bin/busybox}"
    [[ "$a" == amd64 ]] || bb="$("$REPO/scripts/foreign-busybox.sh" "$a")"
    # Another architecture's busybox --list runs under qemu-user (binfmt_misc).
    BUSYBOX="$bb" "$REPO/shell/install-busybox.sh" "$ctx/busybox-$a" 2>/dev/null \
        || die "installing $a's BusyBox ($bb) failed: is qemu-user registered? (scripts/qemu-binfmt.sh)"
done
chmod 0755 "$ctx" "$ctx/etc"
find "$ctx" -exec touch -h -d @0 {} +

# --- one kiln build per target, each in a fresh sandbox root ------------------
build_target() {
    local target="$1" root="$work/root-$1" raw="$work/raw"
    mkdir -p "$root/kiln-self" "$raw"
    install -m 0755 "$static/executor" "$root/kiln-self/executor"
    echo "build-images.sh: building $target with kiln" >&2
    if ! bash "$REPO/scripts/sandbox.sh" --root "$root" --context "$ctx" --bind "$raw:/output" \
        --cmd -- /kiln-self/executor --kaniko-dir=/kiln-self \
        --context=dir:///workspace --dockerfile=/workspace/Dockerfile --target="$target" \
        --reproducible --no-push --destination="kiln/$target:$version" \
        --custom-platform="$platforms" \
        --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
        --build-arg "SOURCE=$source_url" \
        --oci-layout-path="/output/$target" > "$work/$target.log" 2>&1; then
        cat "$work/$target.log" >&2
        die "kiln failed to build the $target image"
    fi
    # Re-tag into the output layout under the version (blobs and digests
    # unchanged), and each platform under VERSION-<arch> for tools that take
    # one image (umoci).
    rm -rf "${out:?}/$target" "$out/$target.tar" "$out/$target.digest"
    skopeo copy --quiet --all --preserve-digests "oci:$raw/$target" "oci:$out/$target:$version"
    for a in $arches; do
        skopeo copy --quiet --preserve-digests --override-arch "$a" \
            "oci:$out/$target:$version" "oci:$out/$target:$version-$a"
    done
    skopeo copy --quiet "oci:$out/$target:$version-$first" \
        "docker-archive:$out/$target.tar:kiln/$target:$version"
    rm -rf --one-file-system "$root" "${raw:?}/$target"
}

: > "$work/sizes.txt"
tag_digest() {  # the digest index.json of layout $1 gives tag $2
    jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$1/index.json"
}
for target in executor debug warmer; do
    build_target "$target"
    index="$(tag_digest "$out/$target" "$version")"
    [[ "$index" == sha256:* ]] || die "no image for tag $version in $out/$target"
    printf '%s' "$index" > "$out/$target.digest"
    for a in $arches; do
        manifest="$(tag_digest "$out/$target" "$version-$a")"
        [[ "$manifest" == sha256:* ]] || die "no manifest for tag $version-$a in $out/$target"
        mjson="$out/$target/blobs/sha256/${manifest#sha256:}"
        bytes="$(jq '[.config.size] + [.layers[].size] | add' "$mjson")"
        printf '%-9s %-7s %9d bytes  %6.2f MB compressed  %s  (OCI layout %s:%s)\n' \
            "$target" "$a" "$bytes" "$(echo "$bytes" | awk '{print $1/1000000}')" "$manifest" \
            "$out/$target" "$version-$a" >> "$work/sizes.txt"
    done
done
cp "$work/sizes.txt" "$out/sizes.txt"
cat "$out/sizes.txt"
