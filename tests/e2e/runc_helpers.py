"""runc helpers for the image tests (tests/e2e/test_images.py).

Images are unpacked with `umoci unpack --image DIR:TAG BUNDLE`; the bundle's
config.json is then edited the way a CI runner's container would be set up:
no terminal (unless asked), no network namespace (the test registries listen
on the host's loopback), Docker's default capability set, extra bind mounts,
arguments, environment and working directory.

Every container is created under a unique id with the prefix ``kiln-e2e-``;
`Runc.cleanup()` kills and deletes all of them (also after a failure), and a
bundle's mounts are only ever made by runc inside the container's own mount
namespace, so nothing is mounted on the host.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import kiln_e2e as k

RUNC_TOOLS = {"runc": "runc", "umoci": "umoci", "skopeo": "skopeo", "jq": "jq"}

# Docker's (and so Kubernetes') default capabilities.
DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]


def missing_runc_tools():
    return [f"'{t}' not found: apt-get install {p}" for t, p in RUNC_TOOLS.items()
            if shutil.which(t) is None]


def unpack(layout_ref: str, bundle: Path) -> Path:
    """umoci unpack DIR:TAG into bundle (which must not exist); returns bundle."""
    bundle = Path(bundle)
    k.run(["umoci", "unpack", "--image", layout_ref, bundle])
    return bundle


def pull_bundle(ref: str, workdir: Path) -> Path:
    """skopeo copy docker://ref into an OCI layout, umoci unpack it; returns the bundle."""
    rootfs = k.pull_rootfs(ref, workdir)
    return rootfs.parent


def load_config(bundle: Path) -> dict:
    return json.loads((Path(bundle) / "config.json").read_text())


def configure(bundle: Path, *, args=None, env=None, cwd=None, mounts=(), terminal=False):
    """Edit bundle/config.json.

    args: replaces process.args (None keeps the image's ENTRYPOINT+CMD, as umoci wrote it).
    env: dict merged into process.env (the image's ENV stays unless overridden).
    mounts: (host_path, container_path) or (host_path, container_path, "ro") bind mounts.
    """
    path = Path(bundle) / "config.json"
    cfg = json.loads(path.read_text())
    proc = cfg["process"]
    proc["terminal"] = terminal
    if args is not None:
        proc["args"] = [str(a) for a in args]
    if env:
        current = dict(e.split("=", 1) for e in proc.get("env", []))
        current.update({str(a): str(b) for a, b in env.items()})
        proc["env"] = [f"{a}={b}" for a, b in current.items()]
    if cwd is not None:
        proc["cwd"] = str(cwd)
    caps = proc.setdefault("capabilities", {})
    for s in ("bounding", "effective", "permitted"):
        caps[s] = list(DOCKER_CAPS)
    caps.pop("inheritable", None)
    caps.pop("ambient", None)
    linux = cfg.setdefault("linux", {})
    linux["namespaces"] = [ns for ns in linux.get("namespaces", []) if ns.get("type") != "network"]
    cfg["root"]["readonly"] = False
    for m in mounts:
        src, dst = str(m[0]), str(m[1])
        opts = ["rbind", "ro" if len(m) > 2 and m[2] == "ro" else "rw"]
        if not os.path.exists(src):
            raise FileNotFoundError(src)
        cfg["mounts"].append({"destination": dst, "type": "bind", "source": src, "options": opts})
    path.write_text(json.dumps(cfg, indent=2))
    return cfg


class Runc:
    """Creates runc containers and removes every one of them in cleanup()."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ids: list[str] = []
        self._detached: dict[str, subprocess.Popen] = {}
        self._ttys: dict[str, int] = {}  # container id -> pty master fd we hold open

    def new_id(self, name):
        cid = f"kiln-e2e-{name}-{secrets.token_hex(4)}"
        self.ids.append(cid)
        return cid

    def run(self, bundle: Path, name: str, timeout=600) -> k.Result:
        """`runc run` in the foreground; returns its Result; the container is deleted."""
        cid = self.new_id(name)
        try:
            return k.run_process(["runc", "run", "--bundle", str(bundle), cid], timeout=timeout)
        finally:
            self.delete(cid)

    def run_detached(self, bundle: Path, name: str, timeout=30) -> str:
        """`runc run -d` (no terminal): returns the container id once it is running."""
        cid = self.new_id(name)
        log = self.workdir / f"{cid}.log"
        with open(log, "wb") as f:
            p = subprocess.Popen(["runc", "run", "-d", "--bundle", str(bundle), cid],
                                 stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        self._detached[cid] = p
        rc = p.wait(timeout=timeout)
        if rc != 0:
            raise AssertionError(f"runc run -d {cid} failed (rc={rc}):\n{log.read_text(errors='replace')}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state(cid) == "running":
                return cid
            time.sleep(0.1)
        raise AssertionError(f"{cid} is not running: {self.state(cid)}\n{log.read_text(errors='replace')}")

    def run_detached_tty(self, bundle: Path, name: str, timeout=30) -> str:
        """`runc run -d --console-socket`: the container gets a pty whose master
        this object receives (SCM_RIGHTS) and keeps open until cleanup(), like
        Kubernetes' `tty: true`. The bundle needs process.terminal = true."""
        cid = self.new_id(name)
        log = self.workdir / f"{cid}.log"
        sock_dir = Path(tempfile.mkdtemp(prefix="kiln-cs-"))  # AF_UNIX paths are short
        sock_path = sock_dir / "console.sock"
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            srv.bind(str(sock_path))
            srv.listen(1)
            srv.settimeout(timeout)
            with open(log, "wb") as f:
                p = subprocess.Popen(["runc", "run", "-d", "--console-socket", str(sock_path),
                                      "--bundle", str(bundle), cid],
                                     stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                     start_new_session=True)
            self._detached[cid] = p
            try:
                conn, _ = srv.accept()
            except socket.timeout:
                raise AssertionError(f"runc sent no console for {cid}:\n{log.read_text(errors='replace')}")
            with conn:
                _, fds, _, _ = socket.recv_fds(conn, 4096, 1)
            if not fds:
                raise AssertionError(f"runc sent no pty master for {cid}")
            self._ttys[cid] = fds[0]
            rc = p.wait(timeout=timeout)
            if rc != 0:
                raise AssertionError(f"runc run -d {cid} failed (rc={rc}):\n{log.read_text(errors='replace')}")
        finally:
            srv.close()
            shutil.rmtree(sock_dir, ignore_errors=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state(cid) == "running":
                return cid
            time.sleep(0.1)
        raise AssertionError(f"{cid} is not running: {self.state(cid)}\n{log.read_text(errors='replace')}")

    def exec(self, cid: str, args, *, env=None, cwd=None, timeout=600) -> k.Result:
        argv = ["runc", "exec"]
        for a, b in (env or {}).items():
            argv += ["--env", f"{a}={b}"]
        if cwd:
            argv += ["--cwd", str(cwd)]
        argv += [cid, *[str(a) for a in args]]
        return k.run_process(argv, timeout=timeout)

    def state(self, cid: str):
        p = k.run(["runc", "state", cid], check=False)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout).get("status")

    def delete(self, cid: str):
        if self.state(cid) is None:
            return
        k.run(["runc", "kill", cid, "KILL"], check=False)
        for _ in range(50):
            if self.state(cid) in (None, "stopped"):
                break
            time.sleep(0.1)
        k.run(["runc", "delete", "--force", cid], check=False)

    def cleanup(self):
        problems = []
        for cid in self.ids:
            self.delete(cid)
            if self.state(cid) is not None:
                problems.append(cid)
        for fd in self._ttys.values():
            os.close(fd)
        self._ttys.clear()
        for p in self._detached.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        return problems

    def leftovers(self):
        """Ids of this object's containers runc still knows about."""
        return [cid for cid in self.ids if self.state(cid) is not None]
