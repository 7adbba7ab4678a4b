#!/usr/bin/env python3
"""Fully cached rebuilds, kiln against buildah (issue 5's benchmark).

    bench/cached.py [--runs N] [--scenarios c,a] [--executor PATH] [--cache-latency S]

kiln: one priming build with --cache=true --cache-copy-layers fills the
registry cache (the destination's repository + /cache); then every timed run
is a fresh executor in a new sandbox with an empty root, as a new CI job
would be: only the registry remembers. buildah: `bud --layers` into one
local store, primed once; every timed run rebuilds with that warm store and
pushes. Runs alternate. Prints wall times, the ratio, and kiln's own figures
from BENCHMARK_FILE (executor seconds, cache hits, whether the base was
unpacked). Target: the cached app rebuild (c) in at most 1 s.

--cache-latency S: kiln's timed runs reach the cache repository through
tests/e2e/fault_proxy, which holds every request to it S seconds, as a remote
registry's round trip would (the cache lookahead sends a stage's lookups
together; one at a time, each step pays the round trips).
"""
import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import bench
import fault_proxy as fp
import kiln_e2e as k

CACHE_FLAGS = ["--cache=true", "--cache-copy-layers"]


def kiln_build(executor, ctx, dockerfile, dest, registry, report, cache_args=()):
    argv = [str(bench.REPO / "scripts/sandbox.sh"), "--executor", str(executor), "--context", str(ctx),
            "--bind", f"{report.parent}:/report", "--env", f"BENCHMARK_FILE=/report/{report.name}", "--",
            f"--dockerfile=/workspace/{dockerfile.name}", "--context=dir:///workspace",
            f"--destination={dest}", *CACHE_FLAGS, *cache_args, *registry.insecure_args()]
    t, _ = bench.timed(argv)
    return t, json.loads(report.read_text())


def buildah_build(store, ctx, dockerfile, dest):
    base = ["buildah", "--root", str(store / "root"), "--runroot", str(store / "run"), "--storage-driver", "overlay"]
    t1, _ = bench.timed([*base, "bud", "--isolation", "chroot", "--format", "docker", "--tls-verify=false",
                         "--layers", "-f", str(dockerfile), "-t", dest, str(ctx)])
    t2, _ = bench.timed([*base, "push", "--tls-verify=false", dest, f"docker://{dest}"])
    return t1 + t2


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scenarios", default="c,a")
    ap.add_argument("--executor", default=str(bench.REPO / "build/static/executor"))
    ap.add_argument("--cache-latency", type=float, default=0.0,
                    help="seconds each request to kiln's cache repository is held (timed runs only)")
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-cached-"))
    registry = k.Registry(work / "registry")
    registry.start()
    proxy = None
    if opts.cache_latency > 0:
        proxy = fp.FaultProxy(registry.host)
        proxy.arm(fp.Fault("delay", lambda m, p: "/cache/" in p, count=10 ** 9, delay=opts.cache_latency))
    rows = []
    try:
        bases = {"busybox": k.BusyboxImage(work).push(registry, "docker")}
        if any(bench.SCENARIOS[s][1] == "debian" for s in opts.scenarios.split(",")):
            bases["debian"] = bench.debian_base(registry)
        for name in opts.scenarios.split(","):
            title, _, dockerfile_text, ctx_kind = bench.SCENARIOS[name]
            ctx = work / f"ctx-{name}"
            bench.make_context(ctx_kind, ctx)
            dockerfile = ctx / "Dockerfile.bench"
            dockerfile.write_text(dockerfile_text.format(**bases))
            store = work / f"buildah-{name}"
            # Priming (not timed): fills kiln's registry cache and buildah's store.
            kiln_build(opts.executor, ctx, dockerfile, registry.ref(f"cached-{name}:prime"), registry,
                       work / f"prime-{name}.json")
            buildah_build(store, ctx, dockerfile, registry.ref(f"cached-{name}:bprime"))
            kt, bt, reports = [], [], []
            # The priming build filled <destination repository>/cache; the timed runs read it through the proxy.
            cache_args = [f"--cache-repo={proxy.host}/cached-{name}/cache"] if proxy else []
            for i in range(opts.runs):
                t, rep = kiln_build(opts.executor, ctx, dockerfile, registry.ref(f"cached-{name}:k{i}"), registry,
                                    work / f"report-{name}-{i}.json", cache_args)
                kt.append(t)
                reports.append(rep)
                bt.append(buildah_build(store, ctx, dockerfile, registry.ref(f"cached-{name}:b{i}")))
            subprocess.run(["buildah", "--root", str(store / "root"), "--runroot", str(store / "run"),
                            "--storage-driver", "overlay", "rm", "--all"], capture_output=True)
            subprocess.run(["umount", "-R", str(store / "root" / "overlay")], capture_output=True)
            km, bm = statistics.median(kt), statistics.median(bt)
            exe = statistics.median(r["total_seconds"] for r in reports)
            hits = min(r.get("cache_hits", 0) for r in reports)
            misses = max(r.get("cache_misses", 0) for r in reports)
            unpacked = any(s.get("unpacked") for r in reports for s in r.get("stages", []))
            rows.append((name, title, km, bm, exe, hits, misses, unpacked))
        print(f"\n{'':3}{'fully cached rebuild of':50}{'kiln s':>8}{'buildah s':>10}{'ratio':>7}{'kiln exe s':>11}")
        for name, title, km, bm, exe, hits, misses, unpacked in rows:
            print(f"{name:3}{title[:50]:50}{km:8.2f}{bm:10.2f}{km / bm:7.2f}{exe:11.2f}")
            print(f"{'':3}  kiln: {hits} cache hits, {misses} misses, base unpacked: {'yes' if unpacked else 'no'}")
        print(f"\n(median of {opts.runs} alternating runs; kiln: a fresh sandbox per run, wall time includes the "
              "sandbox set-up and the push; buildah: warm local store, bud --layers + push; target for c: <= 1 s)")
        if proxy:
            print(f"(kiln's cache repository behind a proxy holding each request {opts.cache_latency:.3f} s)")
    finally:
        if proxy:
            proxy.close()
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
