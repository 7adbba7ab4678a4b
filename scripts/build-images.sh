#!/usr/bin/env bash
# build-images.sh STATIC_BUILD_DIR [OUT_DIR]
#
# Builds kiln's three images with kiln's own executor (in scripts/sandbox.sh;
# no Docker, no buildah) from image/Dockerfile:
#   executor  FROM scratch: /kaniko/executor, /kaniko/warmer, /kaniko/ssl/certs/ca-certificates.crt
#             (the host's Debian bundle), an empty writable /kaniko/.docker/, /etc/nsswitch.conf
#   debug     the same plus /busybox (shell/install-busybox.sh), on PATH, WORKDIR /workspace
#   warmer    the executor image with ENTRYPOINT ["/kaniko/warmer"]
# Output in OUT_DIR (default REPO/build/images):
#   NAME/          OCI image layout, tag VERSION (OCI media types; `umoci unpack --image NAME:VERSION`)
#   NAME.tar       docker-archive (docker load / skopeo docker-archive:), named kiln/NAME:VERSION
#   NAME.digest    the manifest digest
#   sizes.txt      compressed size of each image (config + layers, as a registry stores it)
# Every build is --reproducible: the same inputs give the same digests.
#
# Environment: KILN_VERSION (default: CMakeLists.txt's project version),
# KILN_REVISION (default: git rev-parse --short HEAD), KILN_SOURCE (default:
# git remote origin, else https://github.com/kiln-build/kiln), BUSYBOX
# (default /bin/busybox), KILN_CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt).
#
# One thing needs care, because of the executor's snapshot ignore list:
#   /kaniko is the executor's own directory and never snapshotted: the build
#     runs the executor from /kiln-self with --kaniko-dir=/kiln-self, so that
#     COPY kaniko/ /kaniko/ lands in the layer.
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
for b in executor warmer; do
    [[ -x "$static/$b" ]] || die "$static/$b missing: run 'make static'"
    desc="$(file -L "$static/$b")"
    [[ "$desc" == *"statically linked"* || "$desc" == *"static-pie linked"* ]] \
        || die "$static/$b is not statically linked ($desc)"
done
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
mkdir -p "$ctx/kaniko/ssl/certs" "$ctx/kaniko/.docker" "$ctx/etc"
install -m 0755 "$static/executor" "$ctx/kaniko/executor"
install -m 0755 "$static/warmer" "$ctx/kaniko/warmer"
install -m 0644 "$ca_bundle" "$ctx/kaniko/ssl/certs/ca-certificates.crt"
chmod 0777 "$ctx/kaniko/.docker"   # writable for whoever runs the image (GitLab writes config.json)
install -m 0644 "$REPO/image/nsswitch.conf" "$ctx/etc/nsswitch.conf"
install -m 0644 "$REPO/image/Dockerfile" "$ctx/Dockerfile"
chmod 0755 "$ctx" "$ctx/kaniko" "$ctx/kaniko/ssl" "$ctx/kaniko/ssl/certs" "$ctx/etc"
find "$ctx" -exec touch -h -d @0 {} +

"$REPO/shell/install-busybox.sh" "$ctx/busybox" 2>/dev/null
find "$ctx/busybox" -exec touch -h -d @0 {} +

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
        --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
        --build-arg "SOURCE=$source_url" \
        --oci-layout-path="/output/$target" > "$work/$target.log" 2>&1; then
        cat "$work/$target.log" >&2
        die "kiln failed to build the $target image"
    fi
    # Re-tag into the output layout under the version (blobs unchanged).
    rm -rf "${out:?}/$target" "$out/$target.tar" "$out/$target.digest"
    skopeo copy --quiet --format oci "oci:$raw/$target" "oci:$out/$target:$version"
    skopeo copy --quiet "oci:$out/$target:$version" "docker-archive:$out/$target.tar:kiln/$target:$version"
    rm -rf --one-file-system "$root" "${raw:?}/$target"
}

: > "$work/sizes.txt"
for target in executor debug warmer; do
    build_target "$target"
    manifest="$(jq -r --arg t "$version" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$out/$target/index.json")"
    [[ "$manifest" == sha256:* ]] || die "no manifest for tag $version in $out/$target"
    printf '%s' "$manifest" > "$out/$target.digest"
    mjson="$out/$target/blobs/sha256/${manifest#sha256:}"
    bytes="$(jq '[.config.size] + [.layers[].size] | add' "$mjson")"
    printf '%-9s %9d bytes  %6.2f MB compressed  %s  (OCI layout %s:%s, docker-archive %s.tar)\n' \
        "$target" "$bytes" "$(echo "$bytes" | awk '{print $1/1000000}')" "$manifest" \
        "$out/$target" "$version" "$out/$target" >> "$work/sizes.txt"
done
cp "$work/sizes.txt" "$out/sizes.txt"
cat "$out/sizes.txt"
