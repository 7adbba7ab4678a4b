"""`executor manifest`: per-platform images, each built on its own (a CI job
per architecture), joined into one image index (issue 19 §3).

The per-platform images are built by the executor with --custom-platform
(FROM scratch, so no foreign binary has to run) and pushed to repo:tag-<arch>
tags, one of them in another repository. `executor manifest` then pushes the
index; skopeo reads it back as two platforms and picks each platform's image
with --override-arch. Refusals leave no tag.
"""
from __future__ import annotations

import hashlib
import json

import kiln_e2e as k
from test_ci_conveniences import host_run, tls_flags


def build_for(run_build, context, reg, platform, dest):
    arch = platform.split("/")[1]
    ctx = context({"Dockerfile": "FROM scratch\nCOPY arch.txt /arch.txt\n", "arch.txt": f"{arch}\n"})
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", f"--custom-platform={platform}",
                    *reg.insecure_args()])
    return k.image_digest(dest)


def build_all(run_build, context, reg, builds):
    """[(platform, repo:tag)] built and pushed to reg; returns their full references."""
    refs = [reg.ref(name) for _, name in builds]
    for (platform, _), ref in zip(builds, refs):
        build_for(run_build, context, reg, platform, ref)
    return refs


def raw(ref, *extra):
    reg = k.registry_for(ref)
    return k.run(["skopeo", "inspect", "--raw", *extra, *reg.skopeo_args(), f"docker://{ref}"]).stdout


def picked(ref, arch):
    """What a client asking for linux/<arch> gets from ref: (architecture, layer digests)."""
    reg = k.registry_for(ref)
    out = json.loads(k.run(["skopeo", "--override-arch", arch, "inspect", *reg.skopeo_args(),
                            f"docker://{ref}"]).stdout)
    return out["Architecture"], out["Layers"]


def test_index_of_two_platforms(registry_plain, registry_tls, run_build, context, executor, tmp_path):
    amd = registry_plain.ref("multi/app:1-amd64")
    arm = registry_plain.ref("multi/app-arm:1-arm64")  # another repository: its blobs are mounted
    digests = {"amd64": build_for(run_build, context, registry_plain, "linux/amd64", amd),
               "arm64": build_for(run_build, context, registry_plain, "linux/arm64", arm)}
    assert k.inspect_config(arm)["architecture"] == "arm64"

    dest = registry_plain.ref("multi/app:1")
    other = registry_tls.ref("copied/app:1")  # another registry: its blobs are copied
    res = host_run(executor, ["manifest", amd, arm, f"--destination={dest}", f"--destination={other}",
                              *registry_plain.insecure_args(), *tls_flags(registry_tls), f"--digest-file={tmp_path / 'digest'}"],
                   docker_config_dir=tmp_path / "none")
    assert res.rc == 0, res.describe()

    for ref in (dest, other):
        index_bytes = k.inspect_raw_manifest(ref)
        index = json.loads(index_bytes)
        assert index["mediaType"] == "application/vnd.docker.distribution.manifest.list.v2+json", index
        entries = {m["platform"]["architecture"]: m["digest"] for m in index["manifests"]}
        assert entries == digests, (ref, index)
        assert (tmp_path / "digest").read_text() == "sha256:" + hashlib.sha256(index_bytes).hexdigest()
        for arch, source in (("amd64", amd), ("arm64", arm)):
            assert picked(ref, arch) == (arch, [l["digest"] for l in k.inspect_manifest(source)["layers"]])
        # each platform's image is whole in the destination repository
        repo = ref.rsplit(":", 1)[0]
        arm_manifest = json.loads(raw(f"{repo}@{digests['arm64']}"))
        assert k.inspect_config(f"{repo}@{digests['arm64']}")["architecture"] == "arm64"
        assert len(arm_manifest["layers"]) == 1
    rootfs = k.pull_rootfs(f"{other.rsplit(':', 1)[0]}@{digests['arm64']}", tmp_path / "arm-rootfs")
    assert (rootfs / "arch.txt").read_text() == "arm64\n"


def test_oci_index_on_request_and_an_index_as_a_source(registry_plain, run_build, context, executor, tmp_path):
    amd, arm = build_all(run_build, context, registry_plain,
                         [("linux/amd64", "multi/oci:1-amd64"), ("linux/arm64", "multi/oci:1-arm64")])
    first = registry_plain.ref("multi/oci:first")
    res = host_run(executor, ["manifest", amd, f"--destination={first}", "--image-format=oci", *registry_plain.insecure_args()],
                   docker_config_dir=tmp_path / "none")
    assert res.rc == 0, res.describe()
    assert json.loads(raw(first))["mediaType"] == "application/vnd.oci.image.index.v1+json"
    # An index as a source gives its entries: adding arm64 to an existing index.
    both = registry_plain.ref("multi/oci:both")
    res = host_run(executor, ["manifest", first, arm, f"--destination={both}", *registry_plain.insecure_args()],
                   docker_config_dir=tmp_path / "none")
    assert res.rc == 0, res.describe()
    assert sorted(m["platform"]["architecture"] for m in json.loads(raw(both))["manifests"]) == ["amd64", "arm64"]


def test_refusals_tag_nothing(registry_plain, run_build, context, executor, tmp_path):
    one, two = build_all(run_build, context, registry_plain,
                         [("linux/amd64", "multi/dup:one"), ("linux/amd64", "multi/dup:two")])
    dest = registry_plain.ref("multi/dup:1")
    res = host_run(executor, ["manifest", one, two, f"--destination={dest}", *registry_plain.insecure_args()],
                   docker_config_dir=tmp_path / "none")
    assert res.rc != 0, res.describe()
    assert "linux/amd64" in res.stderr and one in res.stderr and two in res.stderr, res.describe()
    assert not k.image_exists(dest)

    missing = registry_plain.ref("multi/none:1-arm64")
    res = host_run(executor, ["manifest", one, missing, f"--destination={dest}", *registry_plain.insecure_args()],
                   docker_config_dir=tmp_path / "none")
    assert res.rc != 0 and "multi/none" in res.stderr, res.describe()
    assert not k.image_exists(dest)

    res = host_run(executor, ["manifest", f"--destination={dest}"], docker_config_dir=tmp_path / "none")
    assert res.rc == 1 and "per-platform images" in res.stderr, res.describe()
