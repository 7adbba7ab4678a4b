#!/usr/bin/env python3
"""A two-platform build against two single-platform ones (issue 19 §2).

    bench/multi_platform.py [--runs N] [--executor PATH]

The base is a two-platform busybox index (this machine's BusyBox for
linux/amd64, Debian's arm64 busybox-static for linux/arm64, whose RUN steps
run under qemu-user through binfmt_misc). The Dockerfile has a cross-compiling
stage (FROM --platform=$BUILDPLATFORM), a RUN writing 2,000 files and a COPY
in the final stage. Alternating runs, each in the sandbox on a fresh ext4:
--custom-platform=linux/amd64, =linux/arm64, and =linux/amd64,linux/arm64.
Printed: medians, the two-platform build against the sum of the two single
ones (issue 19's target: 0.7 when one platform is native), and the executor's
own per-platform stage times from BENCHMARK_FILE.
"""
import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import bench
import kiln_e2e as k

DOCKERFILE = """\
FROM --platform=$BUILDPLATFORM {base} AS build
ARG TARGETARCH
RUN mkdir /out && for i in $(seq 1 500); do echo "$TARGETARCH $i" > /out/$i; done
FROM {base}
COPY --from=build /out /from-build
RUN mkdir /data && for i in $(seq 1 2000); do echo $i > /data/$i; done && uname -m > /machine
COPY hello.txt /srv/hello.txt
"""
SETTINGS = {"amd64": "linux/amd64", "arm64": "linux/arm64", "both": "linux/amd64,linux/arm64"}


def two_platform_base(work: Path, registry, executor: str) -> str:
    arm64 = subprocess.run([str(bench.REPO / "scripts/foreign-busybox.sh"), "arm64"], check=True,
                           capture_output=True, text=True).stdout.strip()
    refs = []
    for arch, busybox in (("amd64", "/bin/busybox"), ("arm64", arm64)):
        image = k.write_oci_layout(work / f"base-{arch}", k.busybox_layers(busybox), arch=arch,
                                   history=k.BUSYBOX_HISTORY, config_extra={"Cmd": ["sh"]})
        refs.append(k.push_layout(image, registry.ref(f"mbase:{arch}"), "docker"))
    index = registry.ref("mbase:latest")
    k.run([executor, "manifest", *refs, f"--destination={index}", *registry.insecure_args()],
          env={"PATH": "/usr/bin:/bin", "DOCKER_CONFIG": str(work / "no-config")})
    return index


def one_run(opts, work, registry, ctx, name, i):
    with bench.FreshDisk(work, f"disk-{name}-{i}") as disk:
        rep = disk / "report"  # beside the root, not in it
        rep.mkdir()
        report = rep / "report.json"
        dest = registry.ref(f"bench-multi:{name}{i}")
        argv = [str(bench.REPO / "scripts/sandbox.sh"), "--executor", opts.executor, "--root", str(disk / "root"),
                "--context", str(ctx), "--env", "BENCHMARK_FILE=/report/report.json", "--bind", f"{rep}:/report",
                "--", "--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace", f"--destination={dest}",
                f"--custom-platform={SETTINGS[name]}", *registry.insecure_args()]
        start = time.monotonic()
        k.run(argv, timeout=900)
        wall = time.monotonic() - start
        platforms = json.loads(report.read_text())["platforms"]
    return wall, {p: (f["stage_seconds"], f["run_seconds"]) for p, f in platforms.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--executor", default=str(bench.REPO / "build/static/executor"))
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-multi-"))
    registry = k.Registry(work / "registry")
    registry.start()
    try:
        base = two_platform_base(work, registry, opts.executor)
        ctx = work / "ctx"
        ctx.mkdir()
        (ctx / "Dockerfile").write_text(DOCKERFILE.format(base=base))
        (ctx / "hello.txt").write_text("hello\n")
        walls = {n: [] for n in SETTINGS}
        stage_times = {n: [] for n in SETTINGS}
        for i in range(opts.runs):
            for name in SETTINGS:
                wall, per_platform = one_run(opts, work, registry, ctx, name, i)
                walls[name].append(wall)
                stage_times[name].append(per_platform)
        med = {n: statistics.median(w) for n, w in walls.items()}
        print("two platforms in one build against one build per platform "
              f"(sandbox, fresh ext4, {opts.runs} alternating runs; arm64 RUN steps under qemu-user)")
        for n in SETTINGS:
            print(f"  {SETTINGS[n]:<24} wall s median {med[n]:.2f}  runs {', '.join(f'{w:.2f}' for w in walls[n])}")
        total = med["amd64"] + med["arm64"]
        print(f"  both in one build / (amd64 + arm64 apart) = {med['both']:.2f} / {total:.2f} = "
              f"{med['both'] / total:.2f}  (issue 19 target: 0.70)")
        last = stage_times["both"][-1]
        print("  the two-platform build's own figures (BENCHMARK_FILE, last run): " +
              ", ".join(f"{p} stages {t[0]:.2f} s (RUN {t[1]:.2f} s)" for p, t in last.items()))
    finally:
        registry.stop()
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
