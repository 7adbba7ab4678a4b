#!/usr/bin/env python3
"""Full against shallow git contexts (issue 18 §3's figures).

    bench/git_shallow.py [--commits 5000] [--runs 3] [--executor PATH]

Makes a bare repository whose main branch has --commits commits in a line
(tests/e2e/git_http_server.py's make_history: 40 text files, each commit
rewrites three lines of one of them; the Dockerfile ignores .git), serves it
with `git http-backend` on loopback, and builds `FROM scratch / COPY . /app/`
from `git://…/long.git` in the sandbox with --no-push, alternating the full
fetch (no depth, kaniko's default) and `--git=depth=1`. Prints per mode the
median wall time of the whole sandbox run, the executor's total and peak RSS
from its BENCHMARK_FILE, and what the executor says it fetched (objects,
bytes). Needs root and a static executor.
"""
import argparse
import json
import re
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

import bench  # puts tests/e2e on sys.path
from git_http_server import GitHttpServer, git, make_history

FILES = {"Dockerfile": "FROM scratch\nCOPY . /app/\n", ".dockerignore": ".git\n"}


def run(executor, srv, work, mode, i):
    ctx = work / f"empty-{mode}-{i}"
    ctx.mkdir()
    report = work / f"report-{mode}-{i}.json"
    extra = ["--git=depth=1"] if mode == "shallow" else []
    argv = [str(bench.REPO / "scripts/sandbox.sh"), "--executor", str(executor), "--context", str(ctx),
            "--bind", f"{work}:/report", "--env", f"BENCHMARK_FILE=/report/{report.name}",
            "--env", "GIT_PULL_METHOD=http", "--", f"--context=git://{srv.authority()}/long.git",
            "--no-push", *extra]
    wall, _ = bench.timed(argv)
    r = json.loads(report.read_text())
    return wall, r["total_seconds"], r["peak_rss_mb"]


def fetched_line(executor, srv, work, mode):
    """One more run, its output kept: the executor's 'N objects, M bytes fetched'."""
    ctx = work / f"empty-{mode}-log"
    ctx.mkdir()
    extra = ["--git=depth=1"] if mode == "shallow" else []
    p = subprocess.run([str(bench.REPO / "scripts/sandbox.sh"), "--executor", str(executor), "--context", str(ctx),
                        "--env", "GIT_PULL_METHOD=http", "--", f"--context=git://{srv.authority()}/long.git",
                        "--no-push", *extra], capture_output=True, text=True)
    m = re.search(r"\((\d+) objects, (\d+) bytes fetched", p.stdout + p.stderr)
    if p.returncode != 0 or not m:
        raise SystemExit(f"{mode} run failed:\n{(p.stdout + p.stderr)[-3000:]}")
    return int(m.group(1)), int(m.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--commits", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--executor", default=str(bench.REPO / "build/static/executor"))
    opts = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-git-"))
    make_history(work / "long.git", opts.commits, FILES, churn_files=40)
    pack = sum(p.stat().st_size for p in (work / "long.git/objects/pack").glob("*.pack"))
    print(f"repository: {opts.commits} commits, {git(work / 'long.git', 'count-objects', '-v').split()[5]} objects "
          f"in one pack of {pack / 1e6:.2f} MB")
    srv = GitHttpServer(work).start()
    rows = {"full": [], "shallow": []}
    try:
        for i in range(opts.runs):
            for mode in rows:
                rows[mode].append(run(opts.executor, srv, work, mode, i))
        seen = {mode: fetched_line(opts.executor, srv, work, mode) for mode in rows}
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'mode':8} {'wall s':>8} {'executor s':>11} {'peak RSS MB':>12} {'objects':>8} {'bytes':>11}")
    for mode, rs in rows.items():
        med = [statistics.median(x) for x in zip(*rs)]
        print(f"{mode:8} {med[0]:8.2f} {med[1]:11.2f} {med[2]:12.1f} {seen[mode][0]:8} {seen[mode][1]:11}")
        print(f"         runs: " + ", ".join(f"{w:.2f}s/{t:.2f}s/{m:.0f}MB" for w, t, m in rs))


if __name__ == "__main__":
    main()
