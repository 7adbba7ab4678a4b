"""SIGTERM and SIGINT to the executor while a RUN is running (a cancelled CI
job, `docker stop`): the RUN's whole process group dies (a background child
too), the executor exits non-zero (128+signal) saying why, pushes nothing,
and with --cleanup the root holds no file of the build while /kaniko is
intact.

The signal goes to the executor itself, found by walking /proc below the
sandbox: in a container it is PID 1, which the kernel shields from signals it
has not arranged to take, so this also checks that the signal arrives.
"""
import hashlib
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

import fault_proxy as fp
import kiln_e2e as k
from git_http_server import GitHttpServer, git

DOCKERFILE = """\
FROM {base}
RUN echo from-the-build > /left-by-the-build
RUN touch /also-from-the-build; sleep 1000 & echo "kiln-bg-child=$!"; echo kiln-run-started; exec sleep 999
"""


def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            fields = Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kids.setdefault(int(fields[1]), []).append(int(d))
    return kids


def descendants(pid):
    kids, out, todo = children_map(), [], [pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def reap(p, out):
    """Ends the sandbox's whole session if it still runs; waits for its output."""
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    out.join(timeout=5)


def sha256_file(p):
    return hashlib.sha256(Path(p).read_bytes()).hexdigest()


class Reader(threading.Thread):
    """Collects a pipe's text so the test can wait for a line."""

    def __init__(self, pipe):
        super().__init__(daemon=True)
        self.pipe, self.text, self.lock = pipe, "", threading.Lock()
        self.start()

    def run(self):
        for chunk in iter(lambda: self.pipe.read1(4096), b""):
            with self.lock:
                self.text += chunk.decode(errors="replace")

    def wait_for(self, needle, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if needle in self.text:
                    return True
            time.sleep(0.05)
        return False


@pytest.mark.parametrize("signo,container", [(signal.SIGTERM, True), (signal.SIGINT, False)],
                         ids=["sigterm-pid1", "sigint-host-pid-ns"])
def test_signal_during_run(signo, container, executor, registry_plain, busybox_image, context, tmp_path):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": DOCKERFILE.format(base=base)})
    root = tmp_path / "root"
    dest = registry_plain.ref(f"interrupted-{signo.name.lower()}:v1")
    args = ["--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace", f"--destination={dest}",
            "--cleanup", *registry_plain.insecure_args()]
    if not container:
        # The host's PID namespace: orphans would outlive the sandbox, so a
        # surviving background child is visible after the executor exits.
        args.append("--force")
    argv = k.sandbox_argv(executor=executor, context=ctx, root=root, container_env=container, args=args)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    out = Reader(p.stdout)
    try:
        assert out.wait_for("kiln-run-started", 90), "the RUN never started:\n" + out.text[-4000:]
        execs = [d for d in descendants(p.pid) if cmdline(d)[:1] == [b"/kaniko/executor"]]
        assert len(execs) == 1, f"executor processes below the sandbox: {execs}"
        executor_pid = execs[0]
        end = time.monotonic() + 15  # the shell may not have exec'd its sleep yet
        while True:
            sleeps = [d for d in descendants(executor_pid) if cmdline(d)[:1] == [b"sleep"]]
            if len(sleeps) == 2 or time.monotonic() > end:
                break
            time.sleep(0.05)
        assert len(sleeps) == 2, f"expected the RUN's sleep and its background sleep, got {sleeps}"
        kaniko_executor = sha256_file(root / "kaniko/executor")
        os.kill(executor_pid, signo)
        rc = p.wait(timeout=60)
    finally:
        reap(p, out)
    log = out.text
    assert rc == 128 + signo, f"exit code {rc}\n{log[-4000:]}"
    assert f"interrupted by {signo.name}" in log, log[-4000:]
    for s in sleeps:
        assert not alive(s), f"RUN child {s} ({cmdline(s)}) survived the interrupted build"
    # Nothing pushed.
    assert not k.image_exists(dest)
    # --cleanup: none of the build's files (the base image's or the RUNs')
    # remain; /kaniko is intact.
    left = sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if not str(p.relative_to(root)).startswith(("kaniko", "proc", "sys", "dev")))
    for name in ("left-by-the-build", "also-from-the-build", "bin/busybox", "etc/passwd"):
        assert name not in left, f"{name} left in the root after --cleanup: {left}"
    assert sha256_file(root / "kaniko/executor") == kaniko_executor
    assert not list((root / "kaniko").glob("work/*")), "the build's work dir was not removed"


def stop_during_trickle(argv, fault, slow):
    """Runs the sandbox, waits until `slow` trickled answers have begun, sends
    SIGTERM to the executor a second later; returns (exit code, output,
    seconds from the signal to the exit)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    out = Reader(p.stdout)
    try:
        end = time.monotonic() + 60
        while fault.injected < slow and time.monotonic() < end and p.poll() is None:
            time.sleep(0.05)
        assert fault.injected == slow, "the slow download never started:\n" + out.text[-4000:]
        time.sleep(1)  # well inside the transfer
        assert p.poll() is None, "the build ended before the signal:\n" + out.text[-4000:]
        execs = [d for d in descendants(p.pid) if cmdline(d)[:1] == [b"/kaniko/executor"]]
        assert len(execs) == 1, f"executor processes below the sandbox: {execs}"
        signalled = time.monotonic()
        os.kill(execs[0], signal.SIGTERM)
        rc = p.wait(timeout=60)
        took = time.monotonic() - signalled
    finally:
        reap(p, out)
    return rc, out.text, took


def assert_stopped_by_sigterm(rc, log, took):
    assert rc == 128 + signal.SIGTERM, f"exit code {rc}\n{log[-4000:]}"
    assert "interrupted by SIGTERM" in log, log[-4000:]
    print(f"\nstopped {took:.1f} s after SIGTERM: " + [l for l in log.splitlines() if "interrupted" in l][-1])
    # The trickled transfers would take over a minute; the transfer's own
    # progress check runs about once a second.
    assert took < 10, f"the executor took {took:.1f} s to stop after SIGTERM\n{log[-4000:]}"


@pytest.mark.parametrize("what", ["base-layer", "add-url"])
def test_signal_during_a_slow_download(what, executor, make_registry, context, tmp_path):
    """A signal while a base layer (or an ADD <url>) trickles in stops the
    download at once (within seconds, not when the 77 s transfer would end),
    exits 128+15 naming the signal, and pushes nothing."""
    registry = make_registry(name=f"registry-slow-{what}")
    tar = k.deterministic_tar([k.Entry("base.bin", "file", 0o644, data=os.urandom(384 * 1024))])
    image = k.write_oci_layout(tmp_path / "layout", [tar])
    k.push_layout(image, registry.ref("slowbase:latest"))
    proxy = fp.FaultProxy(registry.host)
    try:
        # 1 KiB every 0.2 s: the 384 KiB layer would take about 77 s. For the
        # base image the config blob (one piece) is fetched first. (The image
        # has no shell: the RUN only makes the executor unpack the base; it
        # must never start.)
        if what == "base-layer":
            slow = 2
            dockerfile = f"FROM {proxy.ref('slowbase:latest')}\nRUN true\n"
        else:
            slow = 1
            dockerfile = f"FROM scratch\nADD http://{proxy.host}/v2/slowbase/blobs/{image.layer_digests[0]} /big.bin\n"
        fault = proxy.arm(fp.Fault("trickle", fp.is_blob_get, count=slow, chunk=1024, delay=0.2))
        ctx = context({"Dockerfile": dockerfile})
        dest = proxy.ref(f"interrupted-{what}:v1")
        argv = k.sandbox_argv(executor=executor, context=ctx, root=tmp_path / "root",
                              args=["--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace",
                                    f"--destination={dest}", "--insecure", "--insecure-pull", "--cleanup"])
        rc, log, took = stop_during_trickle(argv, fault, slow)
        assert_stopped_by_sigterm(rc, log, took)
        assert not k.image_exists(registry.ref(f"interrupted-{what}:v1"))
    finally:
        proxy.close()


def test_signal_during_a_slow_git_fetch(executor, tmp_path):
    """The same while a git context's pack trickles in, 1 KiB every 2 s:
    libgit2 calls its progress callbacks only per 64 KiB packet (about two
    minutes here), so it is the interrupted read that stops the fetch (an
    executor without that took 5.5 s at 1 KiB every 0.2 s)."""
    work, served = tmp_path / "work", tmp_path / "served"
    work.mkdir()
    served.mkdir()
    (work / "Dockerfile").write_text("FROM scratch\nCOPY big.bin /\n")
    (work / "big.bin").write_bytes(os.urandom(384 * 1024))  # random: the pack stays 384 KiB
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "big")
    git(tmp_path, "clone", "-q", "--bare", str(work), str(served / "slow.git"))
    srv = GitHttpServer(served).start()
    proxy = fp.FaultProxy(srv.authority())
    try:
        fault = proxy.arm(fp.Fault("trickle", lambda m, path: m == "POST" and path.endswith("/git-upload-pack"),
                                   count=1, chunk=1024, delay=2.0))
        empty = tmp_path / "workspace"
        empty.mkdir()
        argv = k.sandbox_argv(executor=executor, context=empty, env={"GIT_PULL_METHOD": "http"},
                              args=[f"--context=git://{proxy.host}/slow.git", "--no-push"])
        rc, log, took = stop_during_trickle(argv, fault, 1)
        assert_stopped_by_sigterm(rc, log, took)
        assert "Fetching git context" in log, log[-4000:]
    finally:
        proxy.close()
        srv.stop()
