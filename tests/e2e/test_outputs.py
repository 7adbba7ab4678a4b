"""Outputs other than a push: --tar-path, --oci-layout-path, digest files."""
import gzip
import io
import json
import os
import tarfile
from collections import Counter

import pytest

import fault_proxy as fp
import kiln_e2e as k


def simple_context(context, base, text):
    return context({"Dockerfile": f"FROM {base}\nLABEL kind=output-test\nCOPY f /f\n", "f": text})


@pytest.mark.parametrize("flag", ["--tar-path", "--tarPath"])
def test_tar_path_with_no_push(flag, registry_plain, busybox_image, context, run_build, outdir,
                               tmp_path):
    base = busybox_image.push(registry_plain)
    ctx = simple_context(context, base, "tarball\n")
    dest = registry_plain.ref(f"tarball-{flag.strip('-').lower()}:v1")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", "--no-push",
                    f"{flag}=/output/image.tar", *registry_plain.insecure_args()],
              binds=[(outdir, "/output")])
    tarball = outdir / "image.tar"
    assert tarball.is_file(), f"{flag} wrote nothing"
    with tarfile.open(tarball) as tf:
        manifest = json.load(tf.extractfile("manifest.json"))
    assert len(manifest) == 1
    assert manifest[0]["RepoTags"] == [dest], "docker-archive tagged with the destination"
    layout = tmp_path / "from-tar"
    k.run(["skopeo", "copy", "--quiet", f"docker-archive:{tarball}", f"oci:{layout}:x"])
    rootfs = k.unpack_layout(f"{layout}:x", tmp_path / "unpacked")
    assert (rootfs / "f").read_text() == "tarball\n"
    assert (rootfs / "etc/kiln-base-release").read_text() == k.BASE_MARKER
    assert not k.image_exists(dest), "--no-push must not push"


def test_tar_path_without_destination(registry_plain, busybox_image, context, run_build, outdir,
                                      tmp_path):
    """--no-push --tar-path with no --destination (a common CI smoke build)."""
    base = busybox_image.push(registry_plain)
    ctx = simple_context(context, base, "no destination\n")
    run_build(ctx, ["--context=dir:///workspace", "--no-push", "--tar-path=/output/image.tar",
                    *registry_plain.insecure_args()], binds=[(outdir, "/output")])
    layout = tmp_path / "from-tar"
    k.run(["skopeo", "copy", "--quiet", f"docker-archive:{outdir / 'image.tar'}", f"oci:{layout}:x"])
    rootfs = k.unpack_layout(f"{layout}:x", tmp_path / "unpacked")
    assert (rootfs / "f").read_text() == "no destination\n"


def test_push_needs_a_destination(context, run_build):
    """kaniko: "you must provide --destination, or use --no-push"."""
    ctx = context({"Dockerfile": "FROM scratch\nCOPY f /f\n", "f": "x\n"})
    res = run_build(ctx, ["--context=dir:///workspace"], expect_rc="fail")
    assert "--destination" in res.output and "--no-push" in res.output, res.describe()


def test_oci_layout_path(registry_plain, busybox_image, context, run_build, outdir, tmp_path,
                         base_flavour):
    base = busybox_image.push(registry_plain, base_flavour)
    ctx = simple_context(context, base, "layout\n")
    run_build(ctx, ["--context=dir:///workspace", "--no-push", "--oci-layout-path=/output/layout",
                    *registry_plain.insecure_args()], binds=[(outdir, "/output")])
    layout = outdir / "layout"
    index = json.loads((layout / "index.json").read_text())
    assert len(index["manifests"]) == 1
    assert json.loads((layout / "oci-layout").read_text())["imageLayoutVersion"] == "1.0.0"
    info = json.loads(k.run(["skopeo", "inspect", f"oci:{layout}"]).stdout)
    assert info["Labels"] == {"kind": "output-test"}
    config = json.loads(k.run(["skopeo", "inspect", "--config", "--raw", f"oci:{layout}"]).stdout)
    assert len(config["rootfs"]["diff_ids"]) == 3
    # every blob the manifest names is in the layout, with the right digest
    manifest_digest = index["manifests"][0]["digest"]
    manifest = json.loads((layout / "blobs/sha256" / manifest_digest.split(":")[1]).read_bytes())
    for desc in [manifest["config"], *manifest["layers"]]:
        blob = (layout / "blobs/sha256" / desc["digest"].split(":")[1]).read_bytes()
        assert k.sha256_digest(blob) == desc["digest"] and len(blob) == desc["size"]
    copy = tmp_path / "copy"
    k.run(["skopeo", "copy", "--quiet", f"oci:{layout}", f"oci:{copy}:x"])
    rootfs = k.unpack_layout(f"{copy}:x", tmp_path / "unpacked")
    assert (rootfs / "f").read_text() == "layout\n"
    # OCI tools find images in a layout by OCI media type and tag: whatever
    # the base's format, the layout holds the image in OCI form.
    assert index["manifests"][0]["mediaType"] == k.OCI_MANIFEST


def test_oci_layout_found_by_tag(registry_plain, busybox_image, context, run_build, outdir):
    base = busybox_image.push(registry_plain, "docker")
    ctx = simple_context(context, base, "tagged\n")
    dest = registry_plain.ref("layout-tag:v7")
    run_build(ctx, ["--context=dir:///workspace", "--no-push", f"--destination={dest}",
                    "--oci-layout-path=/output/layout", *registry_plain.insecure_args()], binds=[(outdir, "/output")])
    info = json.loads(k.run(["skopeo", "inspect", f"oci:{outdir / 'layout'}:v7"]).stdout)
    assert info["Labels"] == {"kind": "output-test"}


@pytest.mark.parametrize("flag", ["--tar-path=/output/image.tar", "--oci-layout-path=/output/layout"],
                         ids=["tar-path", "oci-layout-path"])
def test_base_layers_are_downloaded_once(flag, registry_plain, busybox_image, context, run_build, outdir,
                                         tmp_path):
    """Outputs that hold every layer's bytes: the base layer is saved as it
    streams into the root, not downloaded a second time for the output
    (counted at a proxy in front of the registry)."""
    base = busybox_image.push(registry_plain)
    proxy = fp.FaultProxy(registry_plain.host)
    try:
        proxy.arm(None)
        ctx = context({"Dockerfile": f"FROM {proxy.ref(base.split('/', 1)[1])}\nRUN echo built > /built\n"})
        run_build(ctx, ["--context=dir:///workspace", "--no-push", flag, "--insecure", "--insecure-pull"],
                  binds=[(outdir, "/output")])
        gets = Counter(path for method, path, status in proxy.requests
                       if method == "GET" and "/blobs/sha256:" in path and status == 200)
    finally:
        proxy.close()
    assert len(gets) >= 2, f"expected the config and the layer to be fetched: {proxy.requests}"
    assert all(n == 1 for n in gets.values()), f"a blob was downloaded more than once: {gets}"
    src = (f"docker-archive:{outdir / 'image.tar'}" if "tar-path" in flag else f"oci:{outdir / 'layout'}")
    k.run(["skopeo", "copy", "--quiet", src, f"oci:{tmp_path / 'copy'}:x"])
    rootfs = k.unpack_layout(f"{tmp_path / 'copy'}:x", tmp_path / "unpacked")
    assert (rootfs / "built").read_text() == "built\n"
    assert (rootfs / "etc/kiln-base-release").read_text() == k.BASE_MARKER


def test_digest_files(registry_plain, busybox_image, context, run_build, outdir):
    """kaniko's formats: --digest-file holds "sha256:HEX" (no newline);
    --image-name-with-digest-file one "REPO@sha256:HEX" line per destination;
    --image-name-tag-with-digest-file one "REPO:TAG@sha256:HEX" line per destination.
    Missing parent directories are created."""
    base = busybox_image.push(registry_plain)
    ctx = simple_context(context, base, "digests\n")
    dests = [registry_plain.ref("digests:v1"), registry_plain.ref("digests:v2")]
    run_build(ctx, ["--context=dir:///workspace", *[f"--destination={d}" for d in dests],
                    "--digest-file=/output/nested/dir/digest",
                    "--image-name-with-digest-file=/output/name-with-digest",
                    "--image-name-tag-with-digest-file=/output/name-tag-with-digest",
                    *registry_plain.insecure_args()], binds=[(outdir, "/output")])
    digest = k.image_digest(dests[0])
    assert k.image_digest(dests[1]) == digest
    repo = registry_plain.ref("digests")
    assert (outdir / "nested/dir/digest").read_text() == digest
    assert (outdir / "name-with-digest").read_text() == f"{repo}@{digest}\n{repo}@{digest}\n"
    assert (outdir / "name-tag-with-digest").read_text() == \
        f"{repo}:v1@{digest}\n{repo}:v2@{digest}\n"


def test_already_compressed_content_is_stored_and_reads_back(registry_plain, busybox_image, context, run_build,
                                                            outdir, tmp_path):
    """A layer of 3 MB of random bytes and 1 MB of text: the random part is
    stored (not deflated), the text deflated, in one gzip stream that
    gzip -t, Python's gzip and umoci all read back to the same bytes."""
    base = busybox_image.push(registry_plain, "oci")
    noise = os.urandom(3 * 1024 * 1024)
    text = "".join(f"line {i} of a text file that compresses well\n" for i in range(25_000)).encode()
    ctx = context({"Dockerfile": f"FROM {base}\nCOPY noise text /data/\n", "noise": noise, "text": text})
    run_build(ctx, ["--context=dir:///workspace", "--no-push", "--oci-layout-path=/output/layout",
                    *registry_plain.insecure_args()], binds=[(outdir, "/output")])
    layout = outdir / "layout"
    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads((layout / "blobs/sha256" / index["manifests"][0]["digest"][7:]).read_bytes())
    blob_path = layout / "blobs/sha256" / manifest["layers"][-1]["digest"][7:]
    k.run(["gzip", "-t", str(blob_path)])
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blob_path.read_bytes()))) as tf:
        assert tf.extractfile("data/noise").read() == noise
        assert tf.extractfile("data/text").read() == text
    # The noise as it is, the text deflated: more than the noise, less than
    # the noise and a quarter of the text.
    assert len(noise) < blob_path.stat().st_size < len(noise) + len(text) // 4, blob_path.stat().st_size
    copy = tmp_path / "copy"
    k.run(["skopeo", "copy", "--quiet", f"oci:{layout}", f"oci:{copy}:x"])
    rootfs = k.unpack_layout(f"{copy}:x", tmp_path / "unpacked")
    assert (rootfs / "data/noise").read_bytes() == noise and (rootfs / "data/text").read_bytes() == text
