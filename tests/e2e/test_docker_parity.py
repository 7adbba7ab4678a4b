"""Docker as the reference: every Dockerfile of tests/e2e/parity/ is built by
`DOCKER_BUILDKIT=1 docker build` (docker.io 20.10's built-in frontend) and by
kiln (in the sandbox), both pushed to the same registry and unpacked the same
way (skopeo + umoci); the file trees (file_tree.tree_manifest: type, mode,
owner, size, link target, SHA-256, hard-link groups, security.capability) and
the config fields kiln writes must be equal.

Corpus entries: tests/e2e/parity/NN-name/ holds the Dockerfile (`@BASE@` is
the test busybox image in the registry, `@BASEREPO@` its repository) and the
context files. An optional parity.json says how to build and what differs on
purpose:
  build_args {K: V}, target, secrets {id: content};
  context_modes {rel: "0755"}, context_symlinks {rel: target},
  context_hardlinks {rel: existing rel}, context_archives {name: ""|"gz"},
  context_xattrs {rel: {name: hex}}: what git cannot hold;
  expected: [{"path": "/p" | "config": "Field", "gap": "why"}]: a known
  difference (a path covers what is below it); with "key" (a tree manifest
  field) and "kiln" (its value in kiln's tree), only that field of that path
  differs, and kiln's value is checked. README.md ("Where kiln differs") lists
  each one with its reason. Everything else is compared.
Timestamps (created, mtimes) are not compared: they legitimately differ.
"""
from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import file_tree
import kiln_e2e as k

CORPUS = Path(__file__).parent / "parity"
ENTRIES = sorted(p.name for p in CORPUS.iterdir() if (p / "Dockerfile").is_file())
CONFIG_FIELDS = ("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels",
                 "StopSignal", "Healthcheck", "Shell", "OnBuild")
CONTEXT_OWNER = 1234


def test_corpus_is_large_enough():
    assert len(ENTRIES) >= 40, ENTRIES


def _archive(path: Path, compression: str):
    """A small archive with owners, modes, a directory and a symlink (fixed mtimes)."""
    mode = "w:gz" if compression == "gz" else "w"
    with tarfile.open(path, mode, format=tarfile.PAX_FORMAT) as tf:
        def add(name, kind, data=b"", perm=0o644, uid=0, gid=0, link=""):
            ti = tarfile.TarInfo(name)
            ti.type, ti.mode, ti.uid, ti.gid, ti.mtime, ti.linkname = kind, perm, uid, gid, 1000000, link
            ti.size = len(data) if kind == tarfile.REGTYPE else 0
            tf.addfile(ti, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
        add("top", tarfile.DIRTYPE, perm=0o750, uid=1000, gid=1000)
        add("top/f", tarfile.REGTYPE, b"in the archive\n", perm=0o640, uid=1000, gid=1000)
        add("top/l", tarfile.SYMTYPE, link="f")
        add("root.txt", tarfile.REGTYPE, b"root\n", perm=0o600)


def prepare_context(name: str, dest: Path, base: str) -> tuple[Path, dict]:
    src = CORPUS / name
    meta = json.loads((src / "parity.json").read_text()) if (src / "parity.json").is_file() else {}
    shutil.copytree(src, dest, symlinks=True)
    (dest / "parity.json").unlink(missing_ok=True)
    df = (dest / "Dockerfile").read_text()
    df = df.replace("@BASEREPO@", base.rsplit(":", 1)[0]).replace("@BASE@", base)
    (dest / "Dockerfile").write_text(df)
    for rel, target in meta.get("context_symlinks", {}).items():
        os.symlink(target, dest / rel)
    for rel, existing in meta.get("context_hardlinks", {}).items():
        os.link(dest / existing, dest / rel)
    for rel, compression in meta.get("context_archives", {}).items():
        _archive(dest / rel, compression)
    for root, dirs, files in os.walk(dest):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), CONTEXT_OWNER, CONTEXT_OWNER)
    os.chown(dest, CONTEXT_OWNER, CONTEXT_OWNER)
    for rel, mode in meta.get("context_modes", {}).items():
        os.chmod(dest / rel, int(mode, 8))
    for rel, attrs in meta.get("context_xattrs", {}).items():
        for attr, value in attrs.items():
            os.setxattr(dest / rel, attr, bytes.fromhex(value))
    return dest, meta


def config_view(cfg: dict) -> dict:
    c = cfg.get("config") or {}
    view = {f: c.get(f) for f in CONFIG_FIELDS if c.get(f) is not None}
    view["history.empty_layer"] = [bool(h.get("empty_layer")) for h in cfg.get("history") or []]
    return view


# BuildKit's RUN leaves the mount points its runtime needed (/dev, /proc, /sys)
# in the image when the base has none: empty directories of the runtime, not of
# the Dockerfile. kiln's RUN leaves nothing of its own in the image.
RUNTIME_MOUNT_POINTS = {"/dev", "/proc", "/sys"}


def runtime_artefact(line: str, trees: dict) -> bool:
    path = line.split(":", 1)[0]
    return (path in RUNTIME_MOUNT_POINTS and path not in trees["kiln"]
            and trees["buildkit"][path]["type"] == "dir"
            and not any(p.startswith(path + "/") for p in trees["buildkit"]))


def set_aside_keys(expected: list, trees: dict) -> None:
    """Checks and removes the tree fields an entry expects to differ ("key")."""
    for e in expected:
        if "key" not in e:
            continue
        got = trees["kiln"].get(e["path"], {}).get(e["key"])
        assert got == e["kiln"], f"{e['path']}: kiln's {e['key']} is {got!r}, expected {e['kiln']!r}"
        for tree in trees.values():
            tree.get(e["path"], {}).pop(e["key"], None)


def allowed(expected: list, line_path: str = None, field: str = None) -> bool:
    for e in expected:
        if "key" in e:
            continue  # set_aside_keys
        p = e.get("path")
        if line_path and p and (line_path == p or line_path.startswith(p.rstrip("/") + "/")):
            return True
        if field and e.get("config") == field:
            return True
    return False


class Entry:
    """One corpus entry made ready to build: its context, parity.json, secrets."""

    def __init__(self, name: str, workdir: Path, base: str):
        self.name = name
        self.repo = name.lower()
        self.ctx, self.meta = prepare_context(name, workdir / "ctx", base)
        self.build_args = self.meta.get("build_args", {})
        self.target = self.meta.get("target")
        self.expected = self.meta.get("expected", [])
        self.secrets_dir = workdir / "secrets"
        self.secrets_dir.mkdir()
        self.secrets = {}
        for sid, content in self.meta.get("secrets", {}).items():
            (self.secrets_dir / sid).write_text(content)
            self.secrets[sid] = self.secrets_dir / sid


@pytest.fixture(scope="module")
def corpus(request, docker, registry_plain, busybox_image, tmp_path_factory):
    """Every entry prepared and built by BuildKit, several builds at a time (one
    daemon; most of a build's time is waiting on containers), each pushed to
    registry_plain as parity/NAME:bk. {name: (Entry, error or None)}."""
    base = busybox_image.push(registry_plain)
    root = tmp_path_factory.mktemp("parity")

    def build(name):
        entry = Entry(name, root / name, base)
        tag = f"kiln-parity/{entry.repo}:bk"
        res = docker.buildkit_build(entry.ctx, tag, build_args=entry.build_args, target=entry.target,
                                    secrets=entry.secrets, check=False)
        if res.returncode != 0:
            return name, (entry, f"docker build failed:\n{res.stderr[-3000:]}")
        docker.push(tag, registry_plain.ref(f"parity/{entry.repo}:bk"))
        return name, (entry, None)

    # Only this module's entries that this session runs (-k selects some); other
    # modules parametrise on "name" too.
    wanted = sorted({item.callspec.params["name"] for item in request.session.items
                     if item.module is request.module
                     and getattr(item, "callspec", None) and "name" in item.callspec.params})
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(build, wanted))


# Known bugs, not accepted differences: each must still fail (strict), so
# fixing one makes this list shrink.
KNOWN_BUGS: dict[str, str] = {}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN_BUGS[n], strict=True))
                                  if n in KNOWN_BUGS else n for n in ENTRIES])
def test_parity_with_buildkit(name, corpus, registry_plain, run_build, tmp_path):
    entry, error = corpus[name]
    assert error is None, error
    bk_ref = registry_plain.ref(f"parity/{entry.repo}:bk")
    kiln_ref = registry_plain.ref(f"parity/{entry.repo}:kiln")
    args = ["--context=dir:///workspace", f"--destination={kiln_ref}", *registry_plain.insecure_args()]
    args += [f"--build-arg={key}={value}" for key, value in entry.build_args.items()]
    if entry.target:
        args.append(f"--target={entry.target}")
    args += [f"--secret=id={sid},src=/secrets/{sid}" for sid in entry.secrets]
    run_build(entry.ctx, args, binds=[(entry.secrets_dir, "/secrets")])

    trees = {who: file_tree.tree_manifest(k.pull_rootfs(ref, tmp_path / f"rootfs-{who}"))
             for who, ref in (("buildkit", bk_ref), ("kiln", kiln_ref))}
    set_aside_keys(entry.expected, trees)
    lines = file_tree.diff(trees["buildkit"], trees["kiln"], names=("buildkit", "kiln"))
    unexpected = [l for l in lines
                  if not allowed(entry.expected, line_path=l.split(":", 1)[0]) and not runtime_artefact(l, trees)]

    configs = {who: config_view(k.inspect_config(ref)) for who, ref in (("buildkit", bk_ref), ("kiln", kiln_ref))}
    for field in sorted(set(configs["buildkit"]) | set(configs["kiln"])):
        a, b = configs["buildkit"].get(field), configs["kiln"].get(field)
        if a != b and not allowed(entry.expected, field=field):
            unexpected.append(f"config {field}: buildkit {a!r} vs kiln {b!r}")
    assert not unexpected, f"{name}: kiln differs from BuildKit:\n  " + "\n  ".join(unexpected)
