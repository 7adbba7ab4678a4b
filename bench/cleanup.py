#!/usr/bin/env python3
"""What --cleanup costs (issue 16 §4), in the two settings users meet.

    bench/cleanup.py [--runs N] [--executor PATH] [--debug-image TAR] [--settings root100k,debug]

root100k: the sandbox (scripts/sandbox.sh) with its root on a fresh ext4, the
container already holding 100,000 files of its own (/data, 1,000 dirs of 100);
the same small build (FROM busybox, RUN, COPY, push) with and without
--cleanup, alternating, each on a new filesystem. Afterwards the bench checks
what --cleanup promises: every one of the container's files is back and
nothing of the build is left.

debug: kiln's debug image (make images) in a Docker daemon of the bench's own
(Debian's docker.io, overlay2, Docker's default capabilities), run as GitLab
runs it: `docker run --entrypoint ""` with the context as a volume. With and
without --cleanup, alternating.

Printed per setting: medians of the wall time with and without, their
difference, and the executor's own figures from its debug log (time to set
the container's files aside, and to delete the build's files and put the
container's back).
"""
import argparse
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import bench
import docker_daemon
import kiln_e2e as k

DOCKERFILE = "FROM {busybox}\nRUN echo built > /built.txt && mkdir -p /var/lib/app && echo x > /var/lib/app/state\n" \
             "COPY hello.txt /srv/hello.txt\n"
ASIDE = re.compile(r"Set the container's files aside in \S+ \((\d+) entries, ([0-9.]+) s\)")
RESTORED = re.compile(r"Restored the container's files in ([0-9.]+) s")
BUILD_FILES = ("built.txt", "var/lib/app", "srv/hello.txt")


def container_files(root: Path):
    """The container's own 100,000 files, written once per run (not timed)."""
    for d in range(1000):
        sub = root / "data" / f"d{d}"
        sub.mkdir(parents=True)
        for f in range(100):
            (sub / f"f{f}").write_text(f"{d}-{f}\n")


def stash_figures(log: str):
    """(entries set aside, seconds to set aside, seconds to restore) from a debug log; zeros without --cleanup."""
    aside, restored = ASIDE.search(log), RESTORED.search(log)
    if not aside or not restored:
        return 0, 0.0, 0.0
    return int(aside.group(1)), float(aside.group(2)), float(restored.group(1))


def executor_args(dest, registry, cleanup):
    args = ["--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace", f"--destination={dest}",
            "--verbosity=debug", *registry.insecure_args()]
    return args + (["--cleanup"] if cleanup else [])


def root100k_run(opts, work, registry, ctx, i, cleanup):
    with bench.FreshDisk(work, f"disk-cleanup-{i}-{int(cleanup)}") as disk:
        root = disk / "root"
        container_files(root)
        dest = registry.ref(f"bench-cleanup:root{i}{'c' if cleanup else ''}")
        argv = [str(bench.REPO / "scripts/sandbox.sh"), "--executor", opts.executor, "--root", str(root),
                "--context", str(ctx), "--", *executor_args(dest, registry, cleanup)]
        start = time.monotonic()
        res = k.run(argv, timeout=600)
        wall = time.monotonic() - start
        if cleanup:
            check_restored(root)
    return wall, stash_figures(res.stdout + res.stderr)


def check_restored(root: Path):
    """--cleanup's promise, checked rather than assumed: the container's files
    are all back with their content, and none of the build's files is left."""
    count = sum(1 for _ in (root / "data").rglob("f*"))
    if count != 100_000 or (root / "data/d999/f99").read_text() != "999-99\n":
        raise SystemExit(f"--cleanup lost container files: {count} of 100000 under /data")
    left = [p for p in BUILD_FILES if (root / p).exists()]
    if left:
        raise SystemExit(f"--cleanup left build files: {left}")


def debug_run(daemon, image, registry, ctx, i, cleanup):
    dest = registry.ref(f"bench-cleanup:debug{i}{'c' if cleanup else ''}")
    argv = ["run", "--rm", "--network", "host", "--entrypoint", "", "-v", f"{ctx}:/workspace", image,
            "/kaniko/executor", *executor_args(dest, registry, cleanup)]
    start = time.monotonic()
    res = daemon.cli(argv, timeout=600)
    wall = time.monotonic() - start
    return wall, stash_figures(res.stdout + res.stderr)


def alternate(runs, run_one):
    """runs × (without, with --cleanup), alternating: ({False: walls, True: walls}, the with-runs' log figures)."""
    walls, figures = {False: [], True: []}, []
    for i in range(runs):
        for cleanup in (False, True):
            wall, fig = run_one(i, cleanup)
            walls[cleanup].append(wall)
            if cleanup:
                figures.append(fig)
    return walls, figures


def report(title, walls, figures):
    med = {c: statistics.median(w) for c, w in walls.items()}
    entries = statistics.median(f[0] for f in figures)
    aside = statistics.median(f[1] for f in figures)
    restore = statistics.median(f[2] for f in figures)
    print(f"{title}\n  wall s (median): without --cleanup {med[False]:.2f}, with {med[True]:.2f}, "
          f"difference {med[True] - med[False]:+.2f}")
    print(f"  each run (s): without {', '.join(f'{w:.2f}' for w in walls[False])}; "
          f"with {', '.join(f'{w:.2f}' for w in walls[True])}")
    print(f"  executor's own figures (median): {entries:.0f} entries set aside in {aside:.3f} s; "
          f"build deleted and container put back in {restore:.3f} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--executor", default=str(bench.REPO / "build/static/executor"))
    ap.add_argument("--debug-image", default=str(bench.REPO / "build/images/debug.tar"))
    ap.add_argument("--settings", default="root100k,debug")
    opts = ap.parse_args()
    settings = opts.settings.split(",")
    if "debug" in settings and not Path(opts.debug_image).exists():
        raise SystemExit(f"{opts.debug_image}: no debug image (run `make images`)")
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-cleanup-"))
    registry = k.Registry(work / "registry")
    registry.start()
    try:
        busybox = k.BusyboxImage(work).push(registry, "docker")
        ctx = work / "ctx"
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(DOCKERFILE.format(busybox=busybox))
        (ctx / "hello.txt").write_text("hello\n")
        if "root100k" in settings:
            report("root100k: sandbox, fresh ext4, a container holding 100,000 files of its own",
                   *alternate(opts.runs, lambda i, cleanup: root100k_run(opts, work, registry, ctx, i, cleanup)))
        if "debug" in settings:
            with bench.FreshDisk(work, "disk-docker") as disk:
                daemon = docker_daemon.Docker(disk / "docker").start()
                try:
                    # "Loaded image: NAME:TAG", or "Loaded image ID: sha256:…" for an untagged one
                    image = daemon.load(Path(opts.debug_image)).splitlines()[-1].rsplit(": ", 1)[-1].strip()
                    measured = alternate(opts.runs,
                                         lambda i, cleanup: debug_run(daemon, image, registry, ctx, i, cleanup))
                finally:
                    daemon.stop()
            report(f"debug: kiln's debug image under docker run (overlay2, default capabilities), {image}",
                   *measured)
    finally:
        registry.stop()
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
