#!/usr/bin/env python3
"""What the Debian base's unpack costs a user, and what in the bench's
setting makes it cheaper (issue 20, "the unpack users get").

    bench/unpack.py [--runs N] [--variants NAME,...] [--executor PATH]

Builds `FROM debian` + one ENV (no push) with kiln, the base being the
bench's Debian bookworm minbase (one layer, 6,676 entries, 121 MB tar), and
prints the executor's own unpack_seconds (BENCHMARK_FILE) per setting. Each
setting changes one thing from the bench's (`bench`) towards a user's first
build, and `user` changes all of them:

    registry   warm: the blob was just pushed and every run reads it from the
               page cache (what bench.py did); cold: dropped before each run
    layer      gzip9: Python's gzip -9 (what bench.py pushes); gzip6: GNU
               gzip -6, as a base image built elsewhere arrives
    fs         bench: a fresh ext4 with no journal, inode tables written at
               mkfs (bench.py's FreshDisk); mkfs: a fresh ext4 as `mkfs.ext4`
               makes it (journal, inode tables zeroed lazily by the kernel
               after mount); rootfs: a new directory on the machine's own
               filesystem
    sandbox    sandbox: scripts/sandbox.sh; plain: unshare + chroot with /proc
               and /dev, as the issue's measurement ran it

Runs alternate over the settings so that drift in the machine's speed hits
all of them alike. Needs root, skopeo, docker-registry.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench
import kiln_e2e as k
import pagecache

# name -> (registry, layer, fs, sandbox)
VARIANTS = {
    "bench": ("warm", "gzip9", "bench", "sandbox"),
    "cold": ("cold", "gzip9", "bench", "sandbox"),
    "gzip6": ("warm", "gzip6", "bench", "sandbox"),
    "mkfs": ("warm", "gzip9", "mkfs", "sandbox"),
    "rootfs": ("warm", "gzip9", "rootfs", "sandbox"),
    "plain": ("warm", "gzip9", "bench", "plain"),
    "user": ("cold", "gzip6", "mkfs", "plain"),
}


def push_debian(registry, work, level):
    """The bench's Debian tarball as a one-layer image, gzip at level."""
    tar = (bench.CACHE / "bookworm-minbase.tar").read_bytes()
    image = k.write_oci_layout(work / f"debian-gzip{level}", [tar], level=level,
                               history=[{"created_by": "debootstrap --variant=minbase bookworm"}],
                               config_extra={"Cmd": ["bash"]})
    ref = registry.ref(f"debian-gzip{level}:bookworm")
    k.push_layout(image, ref, "docker")
    return ref, len(next(iter(image.layer_blobs.values())))


class Filesystem:
    """A root for one run: on a fresh ext4 (bench's or mkfs's defaults) or a
    new directory on the machine's own filesystem."""

    def __init__(self, work, name, kind):
        self.work, self.name, self.kind = work, name, kind
        self.disk = None

    def __enter__(self):
        if self.kind == "rootfs":
            self.path = self.work / self.name
            self.path.mkdir()
            return self.path
        if self.kind == "bench":
            self.disk = bench.FreshDisk(self.work, self.name)
            return self.disk.__enter__()
        image, self.path = self.work / f"{self.name}.img", self.work / self.name
        subprocess.run(["truncate", "-s", "8G", str(image)], check=True)
        subprocess.run(["mkfs.ext4", "-F", "-q", str(image)], check=True)
        self.path.mkdir()
        subprocess.run(["mount", "-o", "loop", str(image), str(self.path)], check=True)
        self.image = image
        return self.path

    def __exit__(self, *exc):
        if self.disk:
            return self.disk.__exit__(*exc)
        if self.kind == "mkfs":
            subprocess.run(["umount", str(self.path)], check=True)
            self.path.rmdir()
            self.image.unlink()
        # rootfs: left in place until the end (deleting here would slow the
        # next runs' file creation: see bench.py's docstring)


def executor_argv(dockerfile, report_name):
    return [f"--dockerfile=/workspace/{dockerfile.name}", "--context=dir:///workspace", "--no-push",
            "--insecure", "--insecure-pull"], f"BENCHMARK_FILE=/report/{report_name}"


def run_sandbox(executor, root, ctx, report, dockerfile):
    args, env = executor_argv(dockerfile, report.name)
    return [str(bench.REPO / "scripts/sandbox.sh"), "--executor", str(executor), "--root", str(root),
            "--context", str(ctx), "--bind", f"{report.parent}:/report", "--env", env, "--", *args]


PLAIN = r"""
set -e
R=$1; shift
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
mount --bind "$KILN_CTX" "$R/workspace"
mount --bind "$KILN_REPORT" "$R/report"
mount --bind /etc/resolv.conf "$R/etc/resolv.conf"
exec env -i container=docker HOME=/root PATH=/usr/local/bin:/kaniko:/usr/sbin:/usr/bin:/sbin:/bin \
    SSL_CERT_DIR=/kaniko/ssl/certs "$KILN_ENV" "$(command -v chroot)" "$R" /kaniko/executor "$@"
"""


def run_plain(executor, root, ctx, report, dockerfile):
    """unshare + chroot, nothing else: the way the issue's figure was taken."""
    for d in ("kaniko/ssl/certs", "proc", "dev", "workspace", "report", "etc", "root"):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy(executor, root / "kaniko/executor")
    (root / "etc/resolv.conf").touch()
    args, env = executor_argv(dockerfile, report.name)
    os.environ.update(KILN_CTX=str(ctx), KILN_REPORT=str(report.parent), KILN_ENV=env)
    return ["unshare", "--mount", "--pid", "--fork", "--propagation", "private", "bash", "-c", PLAIN, "plain",
            str(root), *args]


def one_run(opts, work, registry, variant, i):
    reg, layer, fs, sandbox = VARIANTS[variant]
    ctx = work / f"ctx-{layer}"
    report = work / "reports" / f"{variant}-{i}.json"
    if reg == "cold":
        pagecache.evict(registry.storage)
    with Filesystem(work, f"root-{variant}-{i}", fs) as root:
        make = run_sandbox if sandbox == "sandbox" else run_plain
        argv = make(opts.executor, root / "root" if fs != "rootfs" else root, ctx, report, ctx / "Dockerfile")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        res = subprocess.run(argv, capture_output=True, text=True)
        wall = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if res.returncode != 0:
            sys.stderr.write(res.stdout[-3000:] + res.stderr[-3000:])
            raise SystemExit(f"{variant}: the executor failed")
    data = json.loads(report.read_text())
    return {"unpack": data["unpack_seconds"], "wall": wall, "user": after.ru_utime - before.ru_utime,
            "sys": after.ru_stime - before.ru_stime}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--executor", default=str(bench.REPO / "build/static/executor"))
    opts = ap.parse_args()
    variants = opts.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        raise SystemExit(f"--variants: unknown {', '.join(unknown)} (choose from {', '.join(VARIANTS)})")
    if not (bench.CACHE / "bookworm-minbase.tar").exists():
        raise SystemExit(f"no {bench.CACHE}/bookworm-minbase.tar: run bench/bench.py --scenarios c once")
    work = Path(tempfile.mkdtemp(prefix="kiln-unpack-"))
    (work / "reports").mkdir()
    registry = k.Registry(work / "registry")
    registry.start()
    try:
        sizes = {}
        for layer in sorted({VARIANTS[v][1] for v in variants}):
            ref, sizes[layer] = push_debian(registry, work, int(layer[-1]))
            ctx = work / f"ctx-{layer}"
            ctx.mkdir()
            (ctx / "Dockerfile").write_text(f"FROM {ref}\nENV BENCH=unpack\n")
        results = {v: [] for v in variants}
        for i in range(opts.runs):
            for v in variants:
                results[v].append(one_run(opts, work, registry, v, i))
        print(f"\n{'setting':9}{'registry':>9}{'layer':>7}{'fs':>8}{'sandbox':>9}{'unpack s':>10}{'wall s':>8}"
              f"{'user s':>8}{'sys s':>7}   unpack per run")
        for v in variants:
            rs = results[v]
            med = {key: statistics.median(r[key] for r in rs) for key in ("unpack", "wall", "user", "sys")}
            print(f"{v:9}" + "".join(f"{x:>{w}}" for x, w in zip(VARIANTS[v], (9, 7, 8, 9))) +
                  f"{med['unpack']:10.2f}{med['wall']:8.2f}{med['user']:8.2f}{med['sys']:7.2f}   " +
                  ", ".join(f"{r['unpack']:.2f}" for r in rs))
        print(f"\n(median of {opts.runs} alternating runs; layer sizes: " +
              ", ".join(f"{layer} {size / 1e6:.1f} MB" for layer, size in sizes.items()) +
              "; user/sys: CPU of the sandbox and executor)")
    finally:
        registry.stop()
        for m in sorted((line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()
                         if line.split()[1].startswith(str(work))), key=len, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
