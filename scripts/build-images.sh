#!/usr/bin/env bash
# build-images.sh STATIC_BUILD_DIR [OUT_DIR]
#
# Builds kiln's three images with kiln's own executor (in scripts/sandbox.sh;
# no Docker, no buildah) from image/Dockerfile, for every architecture in
# KILN_IMAGE_ARCHES (default: this machine's, amd64): the binaries of
# architecture A come from STATIC_BUILD_DIR for amd64 and from its sibling
# static-A otherwise (`make static ARCH=A`), its BusyBox from Debian's
# busybox-static:A (scripts/foreign-busybox.sh). The native executor builds
# every platform (--custom-platform; the Dockerfile has no RUN).
#   executor  FROM scratch: /kaniko/executor, /kaniko/warmer, /kaniko/ssl/certs/ca-certificates.crt
#             (the host's Debian bundle), an empty writable /kaniko/.docker/, /etc/nsswitch.conf
#   debug     the same plus /busybox (shell/install-busybox.sh), on PATH, WORKDIR /workspace
#   warmer    the executor image with ENTRYPOINT ["/kaniko/warmer"]
# Output in OUT_DIR (default REPO/build/images):
#   NAME/          OCI image layout: tag VERSION is the multi-platform image index
#                  (`skopeo copy --all oci:NAME:VERSION docker://...`), tag VERSION-ARCH
#                  each platform's image (`umoci unpack --image NAME:VERSION-amd64`)
#   NAME.tar       docker-archive of the amd64 image (docker load / skopeo docker-archive:),
#                  named kiln/NAME:VERSION; NAME-ARCH.tar the same for each other ARCH
#   NAME.digest    the amd64 manifest's digest; NAME.index.digest the index's
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
read -r -a arches <<<"${KILN_IMAGE_ARCHES:-amd64}"
static_of() { # ARCH -> its static build directory
    if [[ $1 == amd64 ]]; then echo "$static"; else echo "$(dirname "$static")/static-$1"; fi
}
for a in "${arches[@]}"; do
    for b in executor warmer; do
        desc="$(file -L "$(static_of "$a")/$b" 2>&1)"
        [[ "$desc" == *"statically linked"* ]] || die "$(static_of "$a")/$b missing or not static: run 'make static ARCH=$a'"
    done
done

version="${KILN_VERSION:-$(sed -n 's/^project(kiln VERSION \([^ ]*\) .*/\1/p' "$REPO/CMakeLists.txt")}"
version="${version:-0.0.0}"
revision="${KILN_REVISION:-$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)}"
source_url="${KILN_SOURCE:-$(git -C "$REPO" remote get-url origin 2>/dev/null || true)}"
source_url="${source_url:-https://github.com/kiln-build/kiln}"

mkdir -p "$out"
out="$(readlink -f "$out")"
work="$(mktemp -d "${TMPDIR:-/tmp}/kiln-images.XXXXXX")"
trap 'rm -rf --one-file-system "$work"' EXIT

# --- the build context of one architecture: a staging directory ----------------
make_context() { # ARCH -> prints the context directory
    local a="$1" ctx="$work/context-$1" bin
    bin="$(static_of "$a")"
    mkdir -p "$ctx/kaniko/ssl/certs" "$ctx/kaniko/.docker" "$ctx/etc"
    install -m 0755 "$bin/executor" "$ctx/kaniko/executor"
    install -m 0755 "$bin/warmer" "$ctx/kaniko/warmer"
    install -m 0644 "$ca_bundle" "$ctx/kaniko/ssl/certs/ca-certificates.crt"
    chmod 0777 "$ctx/kaniko/.docker"   # writable for whoever runs the image (GitLab writes config.json)
    install -m 0644 "$REPO/image/nsswitch.conf" "$ctx/etc/nsswitch.conf"
    install -m 0644 "$REPO/image/Dockerfile" "$ctx/Dockerfile"
    chmod 0755 "$ctx" "$ctx/kaniko" "$ctx/kaniko/ssl" "$ctx/kaniko/ssl/certs" "$ctx/etc"
    find "$ctx" -exec touch -h -d @0 {} +
    # The architecture's own BusyBox (its applet list comes from running it:
    # under qemu-user for a foreign one, scripts/qemu-binfmt.sh).
    local bb=/bin/busybox
    [[ $a == amd64 ]] || bb="$("$REPO/scripts/foreign-busybox.sh" "$a")"
    BUSYBOX="$bb" "$REPO/shell/install-busybox.sh" "$ctx/busybox" 2>/dev/null
    find "$ctx/busybox" -exec touch -h -d @0 {} +
    echo "$ctx"
}

# --- one kiln build per target and architecture, each in a fresh sandbox root --
build_target() { # TARGET ARCH CONTEXT: into $out/TARGET, tag VERSION-ARCH
    local target="$1" a="$2" ctx="$3" root="$work/root-$1-$2" raw="$work/raw"
    mkdir -p "$root/kiln-self" "$raw"
    install -m 0755 "$static/executor" "$root/kiln-self/executor"
    echo "build-images.sh: building $target for linux/$a with kiln" >&2
    if ! bash "$REPO/scripts/sandbox.sh" --root "$root" --context "$ctx" --bind "$raw:/output" \
        --cmd -- /kiln-self/executor --kaniko-dir=/kiln-self \
        --context=dir:///workspace --dockerfile=/workspace/Dockerfile --target="$target" \
        --custom-platform="linux/$a" \
        --reproducible --no-push --destination="kiln/$target:$version" \
        --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
        --build-arg "SOURCE=$source_url" \
        --oci-layout-path="/output/$target-$a" > "$work/$target-$a.log" 2>&1; then
        cat "$work/$target-$a.log" >&2
        die "kiln failed to build the $target image for linux/$a"
    fi
    # Re-tag into the output layout (blobs unchanged).
    skopeo copy --quiet --format oci "oci:$raw/$target-$a" "oci:$out/$target:$version-$a"
    local tar="$out/$target-$a.tar"
    [[ $a == amd64 ]] && tar="$out/$target.tar"
    skopeo copy --quiet "oci:$out/$target:$version-$a" "docker-archive:$tar:kiln/$target:$version"
    rm -rf --one-file-system "$root" "${raw:?}/$target-$a"
}

tag_digest() { # LAYOUT TAG
    jq -r --arg t "$2" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' "$1/index.json"
}

# The image index of TARGET (every VERSION-ARCH image, with its platform from
# its config), stored as a blob of the layout and tagged VERSION.
write_index() {
    local target="$1" layout="$out/$1" entries="" a m mjson cfg
    for a in "${arches[@]}"; do
        m="$(tag_digest "$layout" "$version-$a")"
        [[ "$m" == sha256:* ]] || die "no manifest for tag $version-$a in $layout"
        mjson="$layout/blobs/sha256/${m#sha256:}"
        cfg="$layout/blobs/sha256/$(jq -r '.config.digest | sub("^sha256:"; "")' "$mjson")"
        entries+="$(jq -c --arg d "$m" --argjson n "$(stat -c %s "$mjson")" --slurpfile c "$cfg" \
            '{mediaType: (.mediaType // "application/vnd.oci.image.manifest.v1+json"), digest: $d, size: $n,
              platform: ({os: $c[0].os, architecture: $c[0].architecture}
                         + (if $c[0].variant then {variant: $c[0].variant} else {} end))}' "$mjson")"$'\n'
    done
    local index="$work/$target-index.json" d
    printf '%s' "$entries" | jq -cs '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: .}' \
        | tr -d '\n' > "$index"
    d="sha256:$(sha256sum "$index" | cut -d' ' -f1)"
    install -m 0644 "$index" "$layout/blobs/sha256/${d#sha256:}"
    jq -c --arg d "$d" --argjson n "$(stat -c %s "$index")" --arg t "$version" \
        '.manifests |= ([.[] | select(.annotations["org.opencontainers.image.ref.name"] != $t)]
          + [{mediaType: "application/vnd.oci.image.index.v1+json", digest: $d, size: $n,
              annotations: {"org.opencontainers.image.ref.name": $t}}])' \
        "$layout/index.json" > "$work/index.json" && mv "$work/index.json" "$layout/index.json"
    printf '%s' "$d" > "$out/$target.index.digest"
}

declare -A contexts
for a in "${arches[@]}"; do contexts[$a]="$(make_context "$a")"; done
: > "$work/sizes.txt"
for target in executor debug warmer; do
    rm -rf "${out:?}/$target" "$out/$target".*digest "$out/$target.tar" "$out/$target"-*.tar
    for a in "${arches[@]}"; do
        build_target "$target" "$a" "${contexts[$a]}"
        manifest="$(tag_digest "$out/$target" "$version-$a")"
        [[ $a == amd64 ]] && printf '%s' "$manifest" > "$out/$target.digest"
        mjson="$out/$target/blobs/sha256/${manifest#sha256:}"
        bytes="$(jq '[.config.size] + [.layers[].size] | add' "$mjson")"
        printf '%-9s %-8s %9d bytes  %6.2f MB compressed  %s  (OCI layout %s:%s)\n' \
            "$target" "$a" "$bytes" "$(echo "$bytes" | awk '{print $1/1000000}')" "$manifest" \
            "$out/$target" "$version-$a" >> "$work/sizes.txt"
    done
    write_index "$target"
done
cp "$work/sizes.txt" "$out/sizes.txt"
cat "$out/sizes.txt"
