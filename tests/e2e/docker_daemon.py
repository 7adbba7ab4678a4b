"""A real Docker daemon (Debian's docker.io 20.10) of the test's own.

kiln's users run its images with Docker (GitLab's docker executor, Drone, a
developer's `docker run`), and Docker's BuildKit is the reference builder kiln
is compared with. This module starts `dockerd` the way shared/NOTES.md
describes: its own data root, exec root, socket and pid file, no bridge and no
iptables (so containers and `docker build` use `--network host` to reach the
loopback registries), and stops it by its pid. Nothing of the machine's own
Docker set-up (a system daemon, /var/lib/docker, /etc/docker) is used.

Only the standard library is used. `Docker.cli` is `/usr/bin/docker` (the
20.10 client from docker.io): a newer client elsewhere on PATH wants buildx
for BuildKit.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import kiln_e2e as k

DOCKERD = "/usr/sbin/dockerd"
DOCKER_CLI = "/usr/bin/docker"
# Docker's default capability set, as `docker run` grants it without flags.
DEFAULT_CAPS = {"chown", "dac_override", "fowner", "fsetid", "kill", "setgid", "setuid",
                "setpcap", "net_bind_service", "net_raw", "sys_chroot", "mknod",
                "audit_write", "setfcap"}


def missing_docker_tools():
    return [f"'{p}' not found: apt-get install docker.io" for p in (DOCKERD, DOCKER_CLI)
            if not os.access(p, os.X_OK)]


class Docker:
    """One dockerd under `workdir` (data-root, exec-root, socket, pid file, log).

    `insecure` lists extra registries (host:port) to reach over plain HTTP;
    Docker already treats 127.0.0.0/8 as insecure.
    """

    def __init__(self, workdir: Path, insecure=()):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_root = self.workdir / "data"
        # The exec root holds a unix socket path (containerd's): keep it short.
        self.exec_root = Path(f"/run/kiln-dk-{os.getpid()}-{id(self) % 100000}")
        self.socket = self.workdir / "docker.sock"
        self.pidfile = self.workdir / "docker.pid"
        self.log = self.workdir / "dockerd.log"
        self.insecure = list(insecure)
        self.proc = None

    @property
    def env(self):
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
               "HOME": str(self.workdir), "DOCKER_HOST": f"unix://{self.socket}",
               "DOCKER_CONFIG": str(self.workdir / "client")}
        return env

    def start(self, timeout=60):
        argv = [DOCKERD, "--iptables=false", "--ip-masq=false", "--bridge=none",
                "--data-root", str(self.data_root), "--exec-root", str(self.exec_root),
                "-H", f"unix://{self.socket}", "-p", str(self.pidfile)]
        for reg in self.insecure:
            argv += ["--insecure-registry", reg]
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockerd exited with {self.proc.returncode}:\n" + self.tail())
            if self.socket.exists() and self.cli(["version"], check=False).returncode == 0:
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"dockerd not ready after {timeout}s:\n" + self.tail())

    def tail(self, n=4000):
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def stop(self):
        """SIGTERM by pid (dockerd stops its containers and containerd), then clean up."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        # Anything dockerd left mounted under its roots (it unmounts on a clean stop).
        for root in (self.exec_root, self.data_root):
            mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()
                      if line.split()[1].startswith(str(root))]
            for m in sorted(mounts, key=len, reverse=True):
                subprocess.run(["umount", "-l", m], check=False)
        shutil.rmtree(self.exec_root, ignore_errors=True)
        shutil.rmtree(self.data_root, ignore_errors=True)

    # -- the client --
    def cli(self, args, *, check=True, timeout=600, input=None, extra_env=None, binary=False):
        """Run /usr/bin/docker ARGS against this daemon; CompletedProcess (text,
        or bytes with binary=True, e.g. for `docker export`)."""
        env = dict(self.env)
        env.update(extra_env or {})
        res = subprocess.run([DOCKER_CLI] + [str(a) for a in args], env=env,
                             capture_output=True, text=not binary, timeout=timeout, input=input)
        if check and res.returncode != 0:
            out, err = (res.stdout, res.stderr) if not binary else ("(binary)", res.stderr.decode(errors="replace"))
            raise k.CommandFailed(f"docker {' '.join(map(str, args))} exited {res.returncode}\n"
                                  f"stdout:\n{out[-4000:]}\nstderr:\n{err[-4000:]}")
        return res

    def buildkit_build(self, context: Path, tag: str, *, dockerfile=None, build_args=None,
                       target=None, secrets=None, check=True):
        """DOCKER_BUILDKIT=1 docker build --network host (the reference builder);
        secrets: {id: file} for RUN --mount=type=secret."""
        args = ["build", "--network", "host", "-t", tag]
        for sid, path in (secrets or {}).items():
            args += ["--secret", f"id={sid},src={path}"]
        if dockerfile:
            args += ["-f", dockerfile]
        for key, value in (build_args or {}).items():
            args += ["--build-arg", f"{key}={value}"]
        if target:
            args += ["--target", target]
        return self.cli(args + [context], check=check, extra_env={"DOCKER_BUILDKIT": "1"})

    def load(self, tarball: Path) -> str:
        """docker load -i TARBALL; returns what it loaded ("Loaded image: …")."""
        return self.cli(["load", "-i", tarball]).stdout.strip()

    def run(self, image, command=(), *, entrypoint=None, check=True, args=(), timeout=600):
        """docker run --rm --network host [ARGS] IMAGE COMMAND, Docker's defaults otherwise."""
        argv = ["run", "--rm", "--network", "host"] + list(args)
        if entrypoint is not None:
            argv += ["--entrypoint", entrypoint]
        return self.cli(argv + [image] + list(command), check=check, timeout=timeout)

    def push(self, image: str, ref: str) -> str:
        """docker tag IMAGE REF && docker push REF (a loopback registry: plain HTTP is fine)."""
        if image != ref:
            self.cli(["tag", image, ref])
        return self.cli(["push", ref]).stdout
