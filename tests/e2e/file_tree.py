"""A comparable description of an unpacked image's file tree.

Used to hold kiln's images against the reference builder's (BuildKit) for the
same Dockerfile: every entry's type, permission bits, owner, size, link
target, content hash, hard-link group and `security.capability`, so two trees
compare with `==` and a difference prints as the entries that differ.
"""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

CAPABILITY_XATTR = "security.capability"


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "dir"), (stat.S_ISREG, "file"), (stat.S_ISLNK, "symlink"),
                       (stat.S_ISCHR, "char"), (stat.S_ISBLK, "block"), (stat.S_ISFIFO, "fifo"),
                       (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "unknown"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _capability(path: Path) -> str | None:
    try:
        return os.getxattr(path, CAPABILITY_XATTR, follow_symlinks=False).hex()
    except OSError:
        return None


def tree_manifest(root: Path, *, ignore=(), mtimes=False) -> dict[str, dict]:
    """{"/path": {...}} for everything below root ("/" itself excluded).

    ignore: paths (as "/a/b") left out together with everything below them.
    Hard links: entries sharing an inode get the same "link_group" (the first
    path of the group in sorted order); unlinked files have none.
    """
    root = Path(root)
    entries: dict[str, dict] = {}
    inodes: dict[tuple[int, int], list[str]] = {}
    skip = tuple(i.rstrip("/") for i in ignore)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            full = Path(dirpath) / name
            rel = "/" + str(full.relative_to(root))
            if any(rel == s or rel.startswith(s + "/") for s in skip):
                continue
            st = full.lstat()
            e = {"type": _kind(st.st_mode), "mode": oct(stat.S_IMODE(st.st_mode)),
                 "owner": f"{st.st_uid}:{st.st_gid}"}
            if e["type"] == "file":
                e["size"] = st.st_size
                e["sha256"] = _sha256(full)
                cap = _capability(full)
                if cap:
                    e["capability"] = cap
                if st.st_nlink > 1:
                    inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
            elif e["type"] == "symlink":
                e["target"] = os.readlink(full)
            elif e["type"] in ("char", "block"):
                e["rdev"] = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
            if mtimes:
                e["mtime"] = int(st.st_mtime)
            entries[rel] = e
        dirnames[:] = [d for d in dirnames
                       if not any(("/" + str((Path(dirpath) / d).relative_to(root))) == s for s in skip)]
    for paths in inodes.values():
        if len(paths) > 1:
            group = sorted(paths)[0]
            for p in paths:
                entries[p]["link_group"] = group
    return entries


def diff(left: dict, right: dict, names=("left", "right")) -> list[str]:
    """Human-readable differences between two tree manifests (empty when equal)."""
    out = []
    for path in sorted(set(left) | set(right)):
        a, b = left.get(path), right.get(path)
        if a == b:
            continue
        if a is None:
            out.append(f"{path}: only in {names[1]}: {b}")
        elif b is None:
            out.append(f"{path}: only in {names[0]}: {a}")
        else:
            keys = sorted(set(a) | set(b))
            parts = [f"{key} {a.get(key)!r} vs {b.get(key)!r}" for key in keys if a.get(key) != b.get(key)]
            out.append(f"{path}: " + ", ".join(parts))
    return out
