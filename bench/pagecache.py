"""Dropping chosen files from the page cache, so that a run reads them from
disk as a user's first build does.

The bench pushes its base images to the registry seconds before the runs,
and every run pulls the same blobs: without this, every pull after the push
is served from memory. Only the named files are dropped (fsync, then
POSIX_FADV_DONTNEED), not the whole machine's cache (`drop_caches` would slow
down everything else running on the machine and measure that too).
"""
import os
import subprocess
from pathlib import Path


def evict(*roots):
    """Drop every regular file under roots (files or directories) from the
    page cache; returns the bytes they hold."""
    total = 0
    for root in roots:
        root = Path(root)
        files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
        for path in files:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)  # dirty pages cannot be dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                total += os.fstat(fd).st_size
            finally:
                os.close(fd)
    return total


def resident_bytes(path):
    """How much of path is in the page cache now (mincore via mmap is not in
    Python's standard library; fincore from util-linux reports it)."""
    out = subprocess.run(["fincore", "-b", "-n", "-o", "RES", str(path)], capture_output=True, text=True)
    return int(out.stdout.split()[0]) if out.returncode == 0 and out.stdout.strip() else None
