"""kiln's own images as the tests use them: build/images from `make images`
(scripts/build-images.sh), rebuilt when older than their inputs or labelled
with another git revision. The `images` fixture (conftest.py) returns an
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


def static_dir(executor: Path) -> Path:
    d = Path(executor).resolve().parent
    if not (d / "warmer").is_file():
        pytest.fail(f"no warmer next to {executor}: the images need both (run 'make static')",
                    pytrace=False)
    return d


def _inputs_mtime(static: Path) -> float:
    paths = [static / "executor", static / "warmer", BUILD_SCRIPT,
             k.REPO_ROOT / "shell" / "install-busybox.sh", k.SANDBOX, Path("/bin/busybox")]
    paths += list((k.REPO_ROOT / "image").iterdir())
    return max(p.stat().st_mtime for p in paths)


class Images:
    def __init__(self, directory: Path):
        self.dir = Path(directory)
        self.digest = {t: (self.dir / f"{t}.digest").read_text().strip() for t in TARGETS}
        index = json.loads((self.dir / "executor" / "index.json").read_text())
        self.version = index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]

    def ref(self, target):
        return f"{self.dir / target}:{self.version}"

    def tarball(self, target) -> Path:
        """The docker-archive (`docker load -i`), tagged kiln/TARGET:VERSION."""
        return self.dir / f"{target}.tar"

    def docker_tag(self, target):
        return f"kiln/{target}:{self.version}"

    def manifest(self, target):
        d = self.digest[target].split(":", 1)[1]
        return json.loads((self.dir / target / "blobs" / "sha256" / d).read_text())

    def config(self, target):
        d = self.manifest(target)["config"]["digest"].split(":", 1)[1]
        return json.loads((self.dir / target / "blobs" / "sha256" / d).read_text())

    def compressed_size(self, target):
        m = self.manifest(target)
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
