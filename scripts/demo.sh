#!/usr/bin/env bash
# make demo: a real build end to end, on this machine only.
#  1. starts Debian's docker-registry on a free loopback port,
#  2. makes a busybox base image from busybox-static and pushes it there,
#  3. builds examples/hello with the static executor inside the sandbox
#     (a chroot holding only /kaniko, own mount and PID namespaces),
#  4. pushes the result, prints its digest, checks it with skopeo, and runs
#     its entrypoint from the unpacked image.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
executor=${1:-$repo/build/static/executor}
cd "$repo"
work=$(mktemp -d /tmp/kiln-demo.XXXXXX)
cleanup() {
  scripts/test-registry.sh stop "$work/registry" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

eval "$(scripts/test-registry.sh start "$work/registry")"
echo "demo: registry at $REGISTRY"

/usr/bin/python3 - "$work" "$REGISTRY" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, "tests/e2e")
import kiln_e2e as k
img = k.write_oci_layout(Path(sys.argv[1]) / "busybox", k.busybox_layers(),
                         history=k.BUSYBOX_HISTORY, config_extra={"Cmd": ["sh"]})
k.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", img.oci_ref,
       f"docker://{sys.argv[2]}/busybox:latest"])
print(f"demo: pushed base image {sys.argv[2]}/busybox:latest")
PY

mkdir -p "$work/out"
scripts/sandbox.sh --executor "$executor" --context "$repo/examples/hello" --bind "$work/out:/out" -- \
  --dockerfile=/workspace/Dockerfile --context=dir:///workspace \
  --build-arg "BASE=$REGISTRY/busybox:latest" \
  --destination "$REGISTRY/hello:latest" --digest-file /out/digest

digest=$(cat "$work/out/digest")
echo
echo "demo: pushed $REGISTRY/hello:latest"
echo "demo: digest $digest"
skopeo inspect --tls-verify=false "docker://$REGISTRY/hello@$digest" | jq -c '{Digest, Layers: (.Layers|length), Labels}'
skopeo copy --quiet --src-tls-verify=false "docker://$REGISTRY/hello:latest" "oci:$work/oci:hello"
umoci unpack --image "$work/oci:hello" "$work/bundle" >/dev/null
echo "demo: running the image's entrypoint from the unpacked image:"
env -i GREETING="$(jq -r '.process.env[] | select(startswith("GREETING=")) | sub("GREETING=";"")' "$work/bundle/config.json")" \
  "$(command -v chroot)" --userspec=1000:1000 "$work/bundle/rootfs" /usr/local/bin/hello world
