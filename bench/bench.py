#!/usr/bin/env python3
"""kiln against buildah and BuildKit on the same Dockerfiles, all pushing to
the same local registry. Prints wall time and peak RSS per tool, the
kiln/buildah and kiln/BuildKit ratios of the medians, and kiln's own phase
times from its BENCHMARK_FILE report.

    bench/bench.py [--runs N] [--scenarios a,b,c,d,e,f] [--peers buildah,buildkit]
                   [--warm-registry] [--executor PATH] [--baseline PATH] [--baseline-args FLAGS]

Runs alternate (kiln, buildah, BuildKit, kiln, ...) so that drift in the
machine's speed hits every tool alike. Each tool's time is the same work:
build, then push the image to the registry (buildah: bud + push; BuildKit:
DOCKER_BUILDKIT=1 docker build + docker push, in a daemon of its own per run,
bench/buildkit.py). Needs root, buildah, debootstrap, GNU time, docker.io.

kiln's time runs from the executor's exec to its exit: scripts/sandbox.sh,
which stands in for the CI job's container, first spends about 0.4 s on its
own set-up (some 50 short processes: mounts, copies), which buildah and
BuildKit, run as plain commands, do not pay. It is printed apart, as the
phase sandbox_setup (until the eleventh session it was inside kiln's time).

Caches are cold for every tool in every run: nothing is kept between runs
(kiln's root, buildah's store and dockerd's data root are new each time),
and the registry's blobs are dropped from the page cache before each run
(bench/pagecache.py), as a user's first pull of a base image reads them from
disk; --warm-registry keeps them cached, as the bench used to.

Each run (kiln's, buildah's, the `tar x` reference) writes to a fresh ext4
filesystem of its own (a sparse image file on the same disk, loop-mounted,
made without a journal like this machine's root), dropped after the run.
The reason is ext4 without a journal: when it allocates an inode it skips,
one by one, each free inode of the group released in the last 60 s, or
360 s while that inode-table block is dirty (and allocating inodes next to
them dirties it again), looking each up in the buffer cache
(recently_deleted() in fs/ext4/ialloc.c). Creating files soon after deleting
tens of thousands is then quadratic: the 30,000-file loop of scenario a took
1 s in a quiet sandbox and 6, 12 and 18 s when each try followed the removal
of the last one's files (17.9 s of it system time, 46% of samples in
recently_deleted()). On one shared filesystem every run paid for whatever
was deleted before it: the harness's clean-up, a test run minutes earlier,
and buildah's own (it frees about 30,000 inodes at the end of each build of
scenario a, even with --rm=false), so kiln's loop took 0.9 s in its first
run and 9-10 s in the runs after a buildah run.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import kiln_e2e as k  # noqa: E402
import buildkit  # noqa: E402
import pagecache  # noqa: E402

CACHE = Path(os.environ.get("KILN_CACHE", "/var/cache/kiln")) / "bench"


def debian_base(registry):
    """A Debian bookworm minbase image (debootstrap, one layer), cached as a tarball.
    Like Debian's own container images it holds no downloaded .debs and no apt
    lists (82 MB of the 204 MB debootstrap leaves): 121 MB, 49 MB gzip."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / "bookworm-minbase.tar"
    if not tarball.exists():
        root = Path(tempfile.mkdtemp(prefix="kiln-bench-debootstrap-"))
        try:
            k.run(["debootstrap", "--variant=minbase", "bookworm", str(root), "http://deb.debian.org/debian"],
                  timeout=1800)
            for junk in [*root.glob("var/cache/apt/archives/*.deb"), *root.glob("var/lib/apt/lists/deb.*")]:
                junk.unlink()
            k.run(["tar", "--numeric-owner", "--sort=name", "-C", str(root), "-cf", str(tarball) + ".tmp", "."])
            os.rename(str(tarball) + ".tmp", tarball)
        finally:
            shutil.rmtree(root, ignore_errors=True)
    layout = Path(tempfile.mkdtemp(prefix="kiln-bench-debian-"))
    image = k.write_oci_layout(layout / "l", [tarball.read_bytes()],
                               history=[{"created_by": "debootstrap --variant=minbase bookworm"}],
                               config_extra={"Cmd": ["bash"]})
    ref = registry.ref("debian:bookworm")
    k.push_layout(image, ref, "docker")
    shutil.rmtree(layout, ignore_errors=True)
    return ref


SCENARIOS = {
    "a": ("30,000 files by RUN, then 100 changed, then a directory deleted", "busybox", """\
FROM {busybox}
RUN for d in $(seq 1 300); do mkdir -p /data/d$d; for f in $(seq 1 100); do echo $d-$f > /data/d$d/f$f; done; done
RUN for f in $(seq 1 100); do echo changed > /data/d1/f$f; done
RUN rm -rf /data/d2
""", None),
    "b": ("COPY of a 20,000-file, 200 MB context", "busybox", "FROM {busybox}\nCOPY files /files\n", "many_files"),
    "c": ("a four-step app image on Debian", "debian", """\
FROM {debian}
ENV APP_HOME=/srv/app
WORKDIR /srv/app
COPY app/ ./
RUN useradd -r app && chown -R app /srv/app && echo built > /srv/app/BUILT
""", "app"),
    "d": ("two stages, a 50 MB file copied between them", "busybox", """\
FROM {busybox} AS build
RUN head -c 52428800 /dev/urandom > /blob
FROM {busybox}
COPY --from=build /blob /blob
""", None),
    # awk writes the files in one process (a shell loop forks per file and
    # would measure fork, not kiln); the step to watch is `RUN true`: its
    # snapshot walks 100,000 unchanged files ({{ }}: str.format escapes).
    "e": ("snapshot of an unchanged 100,000-file tree", "busybox", """\
FROM {busybox}
RUN mkdir -p $(awk 'BEGIN {{ for (d = 0; d < 1000; d++) print "/tree/d" d }}') && \
    awk 'BEGIN {{ for (i = 0; i < 100000; i++) {{ f = "/tree/d" int(i / 100) "/f" i; print i > f; close(f) }} }}'
RUN true
""", None),
    # Three builder stages that depend on nothing but the base, each waiting
    # 3 s (a stand-in for work that does not keep a core busy: a download, a
    # test against a service) and writing 3,000 files of 1 KB in 30 dirs; the
    # final stage copies all three. A builder that runs independent stages
    # at once pays about one stage's time, one that runs them in line three.
    "f": ("three independent 3 s, 3,000-file stages, copied into a fourth", "busybox",
          "".join(f"""\
FROM {{busybox}} AS {stage}
RUN sleep 3 && mkdir -p $(awk 'BEGIN {{{{ for (d = 0; d < 30; d++) print "/out/{stage}/d" d }}}}') && \
    awk 'BEGIN {{{{ s = sprintf("%1000s", ""); for (i = 0; i < 3000; i++) {{{{ f = "/out/{stage}/d" int(i / 100) "/f" i; print "{stage}" i s > f; close(f) }}}} }}}}'
""" for stage in ("one", "two", "three")) + """\
FROM {busybox}
COPY --from=one /out/one /out/one
COPY --from=two /out/two /out/two
COPY --from=three /out/three /out/three
""", None),
}

# Figures a scenario's report holds beyond the phase totals: name -> what to
# print, from one parsed BENCHMARK_FILE report.
STEP_MARKS = {"e": "RUN true"}


def step_entry(report, text):
    """The per-instruction entry whose instruction starts with text (the
    per-step BENCHMARK_FILE report), or None when the report has none."""
    for stage in report.get("stages", []):
        for step in stage.get("steps", []):
            if step.get("instruction", "").startswith(text):
                return step
    return None


def scenario_notes(name, reports):
    """Extra lines for a scenario: base unpack time (c) and the snapshot of
    the unchanged tree (e), medians over the runs."""
    notes = []
    if name == "c":
        unpack = [r.get("unpack_seconds") for r in reports if "unpack_seconds" in r]
        if unpack:
            notes.append(f"base image unpack (one layer, streamed from the registry): {statistics.median(unpack):.2f} s")
        floor = [r["tar_x_seconds"] for r in reports if "tar_x_seconds" in r]
        if floor and unpack:
            ratios = [r["unpack_seconds"] / r["tar_x_seconds"] for r in reports if "tar_x_seconds" in r]
            notes.append(f"GNU tar x of the same layer, uncompressed, right after each kiln run (the disk's speed "
                         f"at that moment): {statistics.median(floor):.2f} s; kiln unpack / tar x: "
                         f"{statistics.median(ratios):.2f}")
    if name in STEP_MARKS:
        steps = [step_entry(r, STEP_MARKS[name]) for r in reports]
        if all(steps):
            snap = statistics.median(s["snapshot_seconds"] for s in steps)
            walked = steps[0].get("files_walked", "?")
            notes.append(f"'{STEP_MARKS[name]}' snapshot: {snap:.2f} s over {walked} files walked (target <= 0.30 s)")
        else:
            notes.append(f"no per-step entry for '{STEP_MARKS[name]}' in BENCHMARK_FILE; only totals: "
                         f"snapshot {statistics.median(r.get('snapshot_seconds', 0) for r in reports):.2f} s for all steps")
    return notes


def push_note(reports, baseline_reports=()):
    """The push after the last step (issue 20's pipelined layers): how long
    it took, what of it was waiting for the early uploads still running and
    writing the manifests, and how long the early uploads ran, mostly while
    the steps did. Medians over the runs; None for reports from an executor
    without early uploads."""
    if not all("early_upload_seconds" in r for r in reports):
        return None

    def med(key):
        return statistics.median(r[key] for r in reports)
    beyond = statistics.median(r["push_seconds"] - r["push_manifests_seconds"] for r in reports)
    note = (f"push after the last step: {med('push_seconds'):.2f} s (waiting for early uploads "
            f"{med('early_upload_wait_seconds'):.2f}, manifests {med('push_manifests_seconds'):.2f}, "
            f"beyond the manifests {beyond:.2f}; target <= 0.20); early uploads ran "
            f"{med('early_upload_seconds'):.2f} s for {med('early_upload_blobs'):.0f} blob(s)")
    if baseline_reports:
        note += f"; baseline's push {statistics.median(r['push_seconds'] for r in baseline_reports):.2f} s"
    return note


def make_context(kind, directory):
    directory.mkdir(parents=True, exist_ok=True)
    if kind == "many_files":
        block = os.urandom(10240)
        for d in range(200):
            sub = directory / "files" / f"d{d}"
            sub.mkdir(parents=True, exist_ok=True)
            for f in range(100):
                (sub / f"f{f}").write_bytes(block[: 10000] + f"{d}-{f}".encode())
    elif kind == "app":
        (directory / "app").mkdir()
        for i in range(50):
            (directory / "app" / f"module{i}.py").write_text(f"print({i})\n" * 200)


def timed(argv, env=None):
    """Runs argv under GNU time; returns (seconds, peak RSS in MB of the biggest process)."""
    out = tempfile.NamedTemporaryFile(delete=False)
    out.close()
    start = time.monotonic()
    res = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", out.name, *argv], capture_output=True, text=True,
                         env=env)
    elapsed = time.monotonic() - start
    if res.returncode != 0:
        sys.stderr.write(res.stdout[-3000:] + res.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(argv)}")
    rss_kb = int(Path(out.name).read_text().strip().splitlines()[-1])
    os.unlink(out.name)
    return elapsed, rss_kb / 1024


def tar_x_seconds(target):
    """GNU tar extracting the Debian base's tarball (already uncompressed, no
    digest to check) into target, on a fresh filesystem like the runs': how
    fast this disk creates those 6,676 entries right now."""
    start = time.monotonic()
    k.run(["tar", "-xf", str(CACHE / "bookworm-minbase.tar"), "-C", str(target)], timeout=600)
    return time.monotonic() - start


class FreshDisk:
    """A new ext4 filesystem (no journal, inode tables written at mkfs, so
    no lazy-init thread writes during the run) on a sparse image file under
    work, mounted at work/<name>; unmounted and dropped on exit. Not timed."""

    def __init__(self, work, name, size="8G"):
        self.image, self.mount = work / f"{name}.img", work / name
        self.size = size

    def __enter__(self):
        subprocess.run(["truncate", "-s", self.size, str(self.image)], check=True)
        subprocess.run(["mkfs.ext4", "-F", "-q", "-O", "^has_journal",
                        "-E", "lazy_itable_init=0,lazy_journal_init=0", str(self.image)], check=True)
        self.mount.mkdir()
        subprocess.run(["mount", "-o", "loop", str(self.image), str(self.mount)], check=True)
        return self.mount

    def __exit__(self, *exc):
        subprocess.run(["umount", "-R", str(self.mount)], capture_output=True)
        self.mount.rmdir()
        self.image.unlink()


def run_kiln(executor, ctx, dockerfile, dest, registry, report, root, extra=()):
    """Returns (seconds from the executor's exec to its exit, peak RSS, seconds
    of the sandbox's own set-up before it). The set-up stands in for the CI
    job's container, which every tool's job starts; buildah's and BuildKit's
    times start at their own commands too."""
    started = report.parent / f"{report.name}.started"
    argv = [str(REPO / "scripts/sandbox.sh"), "--executor", str(executor), "--root", str(root), "--context", str(ctx),
            "--started-file", str(started),
            "--bind", f"{report.parent}:/report", "--env", f"BENCHMARK_FILE=/report/{report.name}", "--",
            f"--dockerfile=/workspace/{dockerfile.name}", "--context=dir:///workspace",
            f"--destination={dest}", *registry.insecure_args(), *extra]
    t, rss = timed(argv)
    own = time.time() - float(started.read_text())
    started.unlink()
    return own, rss, t - own


def run_buildah(store, ctx, dockerfile, dest):
    base = ["buildah", "--root", str(store / "root"), "--runroot", str(store / "run"), "--storage-driver", "overlay"]
    t1, rss = timed([*base, "bud", "--isolation", "chroot", "--format", "docker", "--tls-verify=false", "--layers=false",
                     "-f", str(dockerfile), "-t", dest, str(ctx)])
    t2, _ = timed([*base, "push", "--tls-verify=false", dest, f"docker://{dest}"])
    return t1 + t2, rss


PEERS = ("buildah", "buildkit")


def kiln_run(executor, work, registry, name, i, ctx, dockerfile, label="kiln", extra=()):
    """One kiln run on a fresh disk; returns (seconds, peak RSS MB, report)."""
    report = work / f"report-{label}-{name}-{i}.json"
    with FreshDisk(work, f"disk-{label}-{name}-{i}") as disk:
        t, _, setup = run_kiln(executor, ctx, dockerfile, registry.ref(f"bench-{name}:{label}{i}"), registry,
                               report, disk / "root", extra)
    data = json.loads(report.read_text())
    data["sandbox_setup_seconds"] = setup
    # The executor reports its own peak RSS (GNU time only sees the sandbox wrapper).
    return t, data.pop("peak_rss_mb"), data


def buildah_run(work, registry, name, i, ctx, dockerfile):
    with FreshDisk(work, f"disk-buildah-{name}-{i}") as store:
        try:
            return run_buildah(store, ctx, dockerfile, registry.ref(f"bench-{name}:buildah{i}"))
        finally:
            subprocess.run(["buildah", "--root", str(store / "root"), "--runroot", str(store / "run"),
                            "--storage-driver", "overlay", "rm", "--all"], capture_output=True)
            subprocess.run(["umount", "-R", str(store / "root" / "overlay")], capture_output=True)


def buildkit_run(work, registry, name, i, ctx, dockerfile):
    with FreshDisk(work, f"disk-buildkit-{name}-{i}") as disk:
        return buildkit.run(timed, disk, ctx, dockerfile, registry.ref(f"bench-{name}:buildkit{i}"))


def stage_sum(report):
    """The sum of the stages' own times in kiln's report: what the build
    costs when its stages run one after the other."""
    return sum(st.get("total_seconds", 0) for st in report.get("stages", []))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scenarios", default="a,b,c,d,e,f")
    ap.add_argument("--peers", default=",".join(PEERS), help="which of buildah,buildkit to run beside kiln")
    ap.add_argument("--warm-registry", action="store_true",
                    help="leave the registry's blobs in the page cache (the bench used to); default: drop them "
                         "before every run, as a user's first pull of a base image reads them from disk")
    ap.add_argument("--executor", default=str(REPO / "build/static/executor"))
    ap.add_argument("--baseline", metavar="EXECUTOR",
                    help="another kiln executor (an older build) run alternating with --executor, as a peer: "
                         "shows whether a change made kiln slower")
    ap.add_argument("--baseline-args", default="", metavar="FLAGS",
                    help="executor flags for the baseline's runs only, e.g. --jobs=1 with --baseline set to the "
                         "same executor: kiln against its own one-stage-at-a-time build")
    opts = ap.parse_args()
    peers = [p for p in opts.peers.split(",") if p]
    unknown = [p for p in peers if p not in PEERS]
    if unknown:
        raise SystemExit(f"--peers: unknown peer(s) {', '.join(unknown)} (choose from {', '.join(PEERS)})")
    if opts.baseline:
        peers.insert(0, "baseline")
    if "buildkit" in peers and buildkit.missing():
        raise SystemExit("; ".join(buildkit.missing()))
    work = Path(tempfile.mkdtemp(prefix="kiln-bench-"))
    registry = k.Registry(work / "registry")
    registry.start()

    def cold():
        if not opts.warm_registry:
            pagecache.evict(registry.storage)

    try:
        bases = {"busybox": k.BusyboxImage(work).push(registry, "docker")}
        if any(SCENARIOS[s][1] == "debian" for s in opts.scenarios.split(",")):
            bases["debian"] = debian_base(registry)
        rows = []
        for name in opts.scenarios.split(","):
            title, _, dockerfile_text, ctx_kind = SCENARIOS[name]
            ctx = work / f"ctx-{name}"
            make_context(ctx_kind, ctx)
            dockerfile = ctx / "Dockerfile.bench"
            dockerfile.write_text(dockerfile_text.format(**bases))
            times = {tool: [] for tool in ("kiln", *peers)}
            rss = {tool: [] for tool in ("kiln", *peers)}
            reports, baseline_reports = [], []
            for i in range(opts.runs):
                cold()
                t, mb, report = kiln_run(opts.executor, work, registry, name, i, ctx, dockerfile)
                times["kiln"].append(t)
                rss["kiln"].append(mb)
                reports.append(report)
                if SCENARIOS[name][1] == "debian":
                    with FreshDisk(work, f"disk-tar-{name}-{i}") as disk:
                        reports[-1]["tar_x_seconds"] = tar_x_seconds(disk)
                for peer in peers:
                    cold()
                    if peer == "baseline":
                        t, mb, base_report = kiln_run(opts.baseline, work, registry, name, i, ctx, dockerfile,
                                                      "baseline", opts.baseline_args.split())
                        baseline_reports.append(base_report)
                    else:
                        run_peer = buildah_run if peer == "buildah" else buildkit_run
                        t, mb = run_peer(work, registry, name, i, ctx, dockerfile)
                    times[peer].append(t)
                    rss[peer].append(mb)
            med = {tool: statistics.median(v) for tool, v in times.items()}
            ph = {key.replace("_seconds", ""): statistics.median(r[key] for r in reports)
                  for key in reports[0] if key.endswith("_seconds")}

            def listed(values):
                return ", ".join(f"{v:.2f}" for v in values)
            notes = ["each run (s): " + "; ".join(f"{tool} {listed(v)}" for tool, v in times.items()) +
                     f"; kiln's run phase {listed(r.get('run_seconds', 0) for r in reports)}",
                     *scenario_notes(name, reports)]
            with_setup = statistics.median(t + r["sandbox_setup_seconds"] for t, r in zip(times["kiln"], reports))
            notes.append(f"kiln counting the sandbox's set-up too: {with_setup:.2f} s" +
                         "".join(f", {with_setup / med[p]:.2f} of {LABEL[p]}" for p in peers))
            if push_note(reports):
                notes.append(push_note(reports, baseline_reports))
            if len(reports[0].get("stages", [])) > 1:
                notes.append(f"kiln's stages one after the other (sum of their times): "
                             f"{statistics.median(stage_sum(r) for r in reports):.2f} s; "
                             f"kiln's executor total: {statistics.median(r.get('total_seconds', 0) for r in reports):.2f} s")
            rows.append((name, title, med, {tool: max(v) for tool, v in rss.items()}, ph, notes))
        print_table(rows, peers, opts)
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)


LABEL = {"kiln": "kiln", "baseline": "baseline", "buildah": "buildah", "buildkit": "BuildKit"}


def print_table(rows, peers, opts):
    tools = ["kiln", *peers]
    head = f"\n{'':3}{'scenario':64}" + "".join(f"{LABEL[t] + ' s':>11}" for t in tools)
    head += "".join(f"{'kiln/' + LABEL[p]:>15}" for p in peers) + "".join(f"{LABEL[t] + ' MB':>12}" for t in tools)
    print(head)
    for name, title, med, rss, ph, notes in rows:
        line = f"{name:3}{title:64}" + "".join(f"{med[t]:11.2f}" for t in tools)
        line += "".join(f"{med['kiln'] / med[p]:15.2f}" for p in peers) + "".join(f"{rss[t]:12.0f}" for t in tools)
        print(line)
        print(f"{'':3}  kiln phases (median s): " + ", ".join(f"{k_}={v:.2f}" for k_, v in ph.items()))
        for note in notes:
            print(f"{'':3}  {note}")
    cache = "left warm in the page cache" if opts.warm_registry else "dropped from the page cache before every run"
    print(f"\n(median of {opts.runs} alternating runs; wall time includes the push; kiln's from the executor's exec, "
          f"without the sandbox's set-up (phase sandbox_setup); peak RSS: kiln's executor, "
          f"buildah's largest process, BuildKit's dockerd or its largest child; registry blobs {cache})")


if __name__ == "__main__":
    main()
