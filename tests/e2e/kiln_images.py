"""kiln's own images as the tests use them: build/images from `make images`
(scripts/build-images.sh), rebuilt when older than their inputs or labelled
with another git revision. Each is an image index of every architecture in
ARCHES (KILN_IMAGE_ARCHES, default amd64, arm64, s390x, ppc64le and riscv64); the host's platform is
what the runc and Docker tests run. The `images` fixture (conftest.py) returns an
`Images`; test_images.py runs them under runc, test_docker_flows.py in Docker.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import kiln_e2e as k

IMAGES_DIR = k.REPO_ROOT / "build" / "images"
BUILD_SCRIPT = k.REPO_ROOT / "scripts" / "build-images.sh"
TARGETS = ("executor", "debug", "warmer")
ARCHES = tuple(os.environ.get("KILN_IMAGE_ARCHES", "amd64 arm64 s390x ppc64le riscv64").split())
HOST_ARCH = "amd64"  # the first platform's build dir is the executor's own (build/static)


def arch_dir(static: Path, arch: str) -> Path:
    """Where arch's executor and warmer are (the Makefile's build/static-<arch>)."""
    return static if arch == HOST_ARCH else static.parent / f"{static.name}-{arch}"


def static_dir(executor: Path) -> Path:
    d = Path(executor).resolve().parent
    for arch in ARCHES:
        a = arch_dir(d, arch)
        if not (a / "warmer").is_file() or not (a / "executor").is_file():
            hint = "make static" if arch == HOST_ARCH else "make foreign-bins"
            pytest.fail(f"no {arch} executor and warmer in {a}: the images need both (run '{hint}')",
                        pytrace=False)
    return d


def _inputs_mtime(static: Path) -> float:
    paths = [BUILD_SCRIPT, k.REPO_ROOT / "shell" / "install-busybox.sh", k.SANDBOX, Path("/bin/busybox")]
    paths += [arch_dir(static, a) / b for a in ARCHES for b in ("executor", "warmer")]
    paths += list((k.REPO_ROOT / "image").iterdir())
    return max(p.stat().st_mtime for p in paths)


class Images:
    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.digest = {t: (self.dir / f"{t}.digest").read_text().strip() for t in TARGETS}
        tags = self.tags_of("executor")
        self.version = next(t for t, d in tags.items() if d == self.digest["executor"])

    def ref(self, target, arch=HOST_ARCH):
        """One platform's image in the OCI layout (what umoci unpacks)."""
        return f"{self.dir / target}:{self.version}-{arch}"

    def index_ref(self, target):
        """The tag every platform shares (an image index)."""
        return f"{self.dir / target}:{self.version}"

    def tarball(self, target) -> Path:
        """The docker-archive (`docker load -i`), tagged kiln/TARGET:VERSION."""
        return self.dir / f"{target}.tar"

    def docker_tag(self, target):
        return f"kiln/{target}:{self.version}"

    def blob(self, target, digest):
        return json.loads((self.dir / target / "blobs" / "sha256" / digest.split(":", 1)[1]).read_text())

    def index(self, target):
        return self.blob(target, self.digest[target])

    def manifest(self, target, arch=HOST_ARCH):
        """arch's manifest, as the image index names it."""
        found = [m["digest"] for m in self.index(target).get("manifests", [])
                 if m.get("platform", {}).get("architecture") == arch]
        if not found and arch == HOST_ARCH and "layers" in self.index(target):
            return self.index(target)  # KILN_IMAGE_ARCHES=amd64: one plain manifest
        assert len(found) == 1, (target, arch, self.index(target))
        return self.blob(target, found[0])

    def tags_of(self, target):
        index = json.loads((self.dir / target / "index.json").read_text())
        return {m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"] for m in index["manifests"]}

    def config(self, target, arch=HOST_ARCH):
        return self.blob(target, self.manifest(target, arch)["config"]["digest"])

    def compressed_size(self, target, arch=HOST_ARCH):
        m = self.manifest(target, arch)
        return m["config"]["size"] + sum(l["size"] for l in m["layers"])


def build_images(static: Path, out: Path) -> k.Result:
    res = k.run_process(["bash", str(BUILD_SCRIPT), str(static), str(out)], timeout=900)
    assert res.rc == 0, "scripts/build-images.sh failed\n" + res.describe()
    return res


def revision(images: Images):
    return images.config("executor")["config"]["Labels"].get("org.opencontainers.image.revision")


def _current_revision():
    if os.environ.get("KILN_REVISION"):
        return os.environ["KILN_REVISION"]
    p = k.run(["git", "-C", k.REPO_ROOT, "rev-parse", "--short", "HEAD"], check=False)
    return p.stdout.strip() if p.returncode == 0 else "unknown"


def current_images(executor) -> Images:
    """build/images, rebuilt unless newer than every input and labelled with the
    current git revision."""
    static = static_dir(executor)
    fresh = all((IMAGES_DIR / f"{t}.digest").is_file() for t in TARGETS) and \
        min((IMAGES_DIR / f"{t}.digest").stat().st_mtime for t in TARGETS) >= _inputs_mtime(static)
    if fresh:
        try:
            fresh = revision(Images(IMAGES_DIR)) == _current_revision()
        except (OSError, KeyError, ValueError):
            fresh = False
    if not fresh:
        build_images(static, IMAGES_DIR)
    return Images(IMAGES_DIR)
