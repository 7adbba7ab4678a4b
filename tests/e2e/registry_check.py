"""Checks that a registry holds only whole images: every tag's manifest (read
with skopeo, straight from the registry) and every blob it names (fetched
directly over the registry API, bypassing any proxy) exist and hash to their
digests. A push that failed half way must leave no tag behind that breaks this.
"""
from __future__ import annotations

import hashlib
import json

import kiln_e2e as k

MANIFEST_ACCEPT = ", ".join([k.OCI_MANIFEST, k.OCI_INDEX, k.DOCKER_MANIFEST,
                             "application/vnd.docker.distribution.manifest.list.v2+json"])


def _get_json(reg: k.Registry, path):
    status, _, body = reg.get(path)
    assert status == 200, f"GET {reg.url}{path}: HTTP {status} {body[:300]!r}"
    return json.loads(body)


def _manifest_by_digest(reg: k.Registry, repo, digest) -> bytes:
    import urllib.request
    req = urllib.request.Request(f"{reg.url}/v2/{repo}/manifests/{digest}",
                                 headers={"Accept": MANIFEST_ACCEPT})
    with urllib.request.urlopen(req, context=reg.ssl_context(), timeout=30) as r:
        return r.read()


def verify_blob(reg: k.Registry, repo, desc):
    status, _, body = reg.get(f"/v2/{repo}/blobs/{desc['digest']}")
    assert status == 200, f"{repo}: blob {desc['digest']} is missing (HTTP {status})"
    got = "sha256:" + hashlib.sha256(body).hexdigest()
    assert got == desc["digest"], f"{repo}: blob {desc['digest']} hashes to {got}"
    assert len(body) == desc["size"], f"{repo}: blob {desc['digest']} has {len(body)} bytes, not {desc['size']}"


def verify_manifest_bytes(reg: k.Registry, repo, raw: bytes) -> int:
    """Verify every blob below a manifest or index; returns how many blobs."""
    m = json.loads(raw)
    if "manifests" in m:
        n = 0
        for child in m["manifests"]:
            child_raw = _manifest_by_digest(reg, repo, child["digest"])
            assert "sha256:" + hashlib.sha256(child_raw).hexdigest() == child["digest"]
            n += verify_manifest_bytes(reg, repo, child_raw)
        return n
    blobs = [m["config"], *m["layers"]]
    for d in blobs:
        verify_blob(reg, repo, d)
    return len(blobs)


def verify_image(reg: k.Registry, repo_tag) -> str:
    """skopeo inspect --raw the tag on the registry itself, verify its blobs;
    returns the manifest digest."""
    ref = reg.ref(repo_tag)
    raw = k.inspect_raw_manifest(ref)
    verify_manifest_bytes(reg, repo_tag.rsplit(":", 1)[0], raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def tags(reg: k.Registry):
    """All repo:tag in the registry (catalog + tag lists, read directly)."""
    out = []
    for repo in _get_json(reg, "/v2/_catalog?n=1000").get("repositories") or []:
        status, _, body = reg.get(f"/v2/{repo}/tags/list")
        if status == 404:
            continue  # a repository whose only upload failed: no tags
        assert status == 200, f"tags of {repo}: HTTP {status}"
        for t in json.loads(body).get("tags") or []:
            out.append(f"{repo}:{t}")
    return out


def verify_all_tags(reg: k.Registry):
    """Every tag in the registry points at a whole image; returns the tags."""
    all_tags = tags(reg)
    for t in all_tags:
        verify_image(reg, t)
    return all_tags
