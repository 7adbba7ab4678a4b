"""BuildKit as a peer in the bench: Debian's docker.io daemon (20.10, its
built-in BuildKit), started by the bench for one run with its data root on
that run's fresh filesystem, so that each run starts with no image, no build
cache and no layer store, as kiln's root and buildah's store do.

A run is `DOCKER_BUILDKIT=1 docker build --network host -f DOCKERFILE -t REF
CTX` then `docker push REF` to the bench's registry, both timed: the same
work kiln (build + push) and buildah (bud + push) are timed for. The daemon's
start and stop are not timed (a user's daemon is already running). The daemon
is stopped by its pid (tests/e2e/docker_daemon.py).

No `# syntax=` line in the Dockerfiles: it makes BuildKit pull a frontend
image, and nothing here reaches the internet.
"""
from pathlib import Path

import docker_daemon


def missing():
    """Why BuildKit cannot run here (empty when it can)."""
    return docker_daemon.missing_docker_tools()


def process_tree(pid):
    """pid and all its descendants (from /proc/*/stat)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(parents.get(p, []))
    return tree


def peak_rss_mb(pids):
    """The largest VmHWM (peak resident set) among pids, in MB; BuildKit runs
    inside dockerd, the snapshots and content store in its containerd."""
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
    return peak / 1024


def run(timed, disk: Path, ctx: Path, dockerfile: Path, dest: str):
    """One BuildKit build + push in a daemon of its own whose data root is on
    disk; returns (seconds, peak RSS in MB of dockerd or its largest child)."""
    daemon = docker_daemon.Docker(disk / "docker")
    daemon.start()
    try:
        env = {**daemon.env, "DOCKER_BUILDKIT": "1"}
        cli = docker_daemon.DOCKER_CLI
        t1, _ = timed([cli, "build", "--network", "host", "--progress", "plain", "-f", str(dockerfile), "-t", dest,
                       str(ctx)], env=env)
        t2, _ = timed([cli, "push", dest], env=env)
        rss = peak_rss_mb(process_tree(daemon.proc.pid))
    finally:
        daemon.stop()
    return t1 + t2, rss
