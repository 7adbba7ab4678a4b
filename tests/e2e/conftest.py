"""Fixtures for kiln's end-to-end tests. See tests/e2e/README.md."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import docker_daemon
import kiln_e2e as k
import kiln_images


def pytest_configure(config):
    config.addinivalue_line("markers", "harness: checks of the test harness itself (no executor needed)")


# ---------------------------------------------------------------------------
# Machine requirements: a missing tool is a hard failure, never a skip.
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def host_requirements():
    problems = k.missing_requirements()
    if problems:
        pytest.fail("the e2e harness cannot run on this machine:\n  - " + "\n  - ".join(problems),
                    pytrace=False)


@pytest.fixture(scope="session")
def session_dir():
    """A scratch directory for the whole session, removed at the end."""
    d = Path(tempfile.mkdtemp(prefix="kiln-e2e-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# The executor under test
# ---------------------------------------------------------------------------

def _executor_path():
    return Path(os.environ.get("KILN_EXECUTOR") or k.DEFAULT_EXECUTOR)


@pytest.fixture(scope="session")
def executor():
    """Path of the static executor: $KILN_EXECUTOR, default REPO/build/static/executor."""
    path = _executor_path()
    if not path.is_file():
        pytest.fail(f"kiln executor not found at {path}: build the static executor "
                    f"(build/static) or point KILN_EXECUTOR at one", pytrace=False)
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not executable", pytrace=False)
    desc = k.run(["file", "-L", path]).stdout
    if "statically linked" not in desc and "static-pie linked" not in desc:
        pytest.fail(f"{path} is not statically linked ({desc.strip()}); the sandbox root holds "
                    f"no libc, so the e2e tests need the static musl build", pytrace=False)
    return path


@pytest.fixture(scope="session")
def foreign_executor():
    """(path, arch) of a static executor built for another architecture
    ($KILN_FOREIGN_EXECUTOR, e.g. build/static-arm64/executor; `make e2e` sets
    it), which runs here under qemu-user through binfmt_misc."""
    path = os.environ.get("KILN_FOREIGN_EXECUTOR")
    if not path:
        pytest.fail("KILN_FOREIGN_EXECUTOR is not set: build one with `make static ARCH=arm64` "
                    "and point it at build/static-arm64/executor", pytrace=False)
    desc = k.run(["file", "-L", path]).stdout
    arch = k.elf_arch(desc)
    if arch is None or arch == k.host_arch() or "statically linked" not in desc:
        pytest.fail(f"{path} is not a static executor of a foreign architecture: {desc.strip()}",
                    pytrace=False)
    return Path(path), arch


@pytest.fixture(scope="session")
def warmer():
    """Path of the static warmer: $KILN_WARMER, default REPO/build/static/warmer."""
    path = Path(os.environ.get("KILN_WARMER") or k.REPO_ROOT / "build" / "static" / "warmer")
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"kiln warmer not found at {path}: build the static warmer or set KILN_WARMER",
                    pytrace=False)
    return path


# ---------------------------------------------------------------------------
# Registries
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def pki(session_dir):
    """A CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost) made with openssl."""
    return k.make_pki(session_dir / "pki")


@pytest.fixture(scope="session")
def make_registry(session_dir, pki):
    """Factory: make_registry(tls=False, auth=False) -> a started Registry,
    stopped at the end of the session (or earlier with .stop())."""
    started = []
    counter = [0]

    def factory(*, tls=False, auth=False, name=None):
        counter[0] += 1
        name = name or f"registry{counter[0]}"
        reg = k.Registry(session_dir / name, tls=tls, auth=auth, pki=pki, name=name)
        started.append(reg)
        return reg.start()

    yield factory
    for reg in started:
        reg.stop()


@pytest.fixture(scope="session")
def registry_plain(make_registry):
    """Plain-HTTP registry on 127.0.0.1."""
    return make_registry(name="registry-plain")


@pytest.fixture(scope="session")
def registry_tls(make_registry):
    """TLS registry on 127.0.0.1; its certificate is signed by pki's CA (reg.ca)."""
    return make_registry(tls=True, name="registry-tls")


@pytest.fixture(scope="session")
def registry_auth(make_registry):
    """TLS + htpasswd (bcrypt) Basic-auth registry; reg.username / reg.password."""
    return make_registry(tls=True, auth=True, name="registry-auth")


@pytest.fixture
def fresh_registry(make_registry):
    """A plain-HTTP registry of this test's own (for tests that damage storage)."""
    reg = make_registry(name=None)
    yield reg
    reg.stop()


# ---------------------------------------------------------------------------
# Base images
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def busybox_image(session_dir):
    """The busybox base image in an OCI layout; .push(registry, flavour) pushes it
    ("oci" -> HOST/busybox:latest, "docker" -> HOST/busybox-v2s2:latest)."""
    return k.BusyboxImage(session_dir / "images")


@pytest.fixture(params=["oci", "docker"])
def base_flavour(request):
    """Parametrises a test over both base-image media-type flavours."""
    return request.param


# ---------------------------------------------------------------------------
# Running builds and inspecting results
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def images(executor):
    """kiln's executor/debug/warmer images (kiln_images.Images), rebuilt by
    scripts/build-images.sh unless newer than every input and labelled with
    the current git revision."""
    return kiln_images.current_images(executor)


@pytest.fixture
def run_build(executor):
    """run_build(context_dir, args, docker_config=None, ca=None, env=None, expect_rc=0,
    binds=(), root=None, container_env=True, busybox=False, cmd=None, timeout=600,
    docker_caps=False)
    runs /kaniko/executor ARGS (or cmd) in scripts/sandbox.sh with context_dir
    bound at /workspace and returns a kiln_e2e.Result (rc, stdout, stderr, output).
    expect_rc: 0 (default), another int, "fail" (any non-zero) or None."""

    def _run(context_dir, args=(), *, docker_config=None, ca=None, env=None, expect_rc=0,
             binds=(), root=None, container_env=True, busybox=False, cmd=None, timeout=600,
             docker_caps=False):
        argv = k.sandbox_argv(executor=executor, context=context_dir, docker_config=docker_config,
                              ca=ca, binds=binds, env=env, root=root,
                              container_env=container_env, busybox=busybox, cmd=cmd, args=args,
                              docker_caps=docker_caps)
        res = k.run_process(argv, timeout=timeout)
        return k.check_rc(res, expect_rc)

    yield _run


@pytest.fixture
def pull_rootfs(tmp_path):
    """pull_rootfs(ref) -> Path of the unpacked rootfs (skopeo copy + umoci unpack)."""
    n = [0]

    def _pull(ref):
        n[0] += 1
        return k.pull_rootfs(ref, tmp_path / f"pulled-{n[0]}")

    return _pull


@pytest.fixture
def context(tmp_path):
    """context(files, owner=1234) -> a new build context directory (see make_context)."""
    n = [0]

    def _make(files, owner=1234):
        n[0] += 1
        return k.make_context(tmp_path / f"context-{n[0]}", files, owner=owner)

    return _make


@pytest.fixture
def outdir(tmp_path):
    """A host directory for build outputs; bind it into the sandbox at /output."""
    d = tmp_path / "output"
    d.mkdir()
    return d


# ---------------------------------------------------------------------------
# A real Docker daemon: the client users run kiln's images with, and BuildKit,
# the reference builder (tests/e2e/docker_daemon.py)
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def docker():
    """A dockerd of the session's own (data root, exec root, socket), stopped at the end."""
    problems = docker_daemon.missing_docker_tools()
    if problems:
        pytest.fail("the Docker tests cannot run on this machine:\n  - " + "\n  - ".join(problems),
                    pytrace=False)
    d = Path(tempfile.mkdtemp(prefix="kiln-docker-"))
    daemon = docker_daemon.Docker(d).start()
    yield daemon
    daemon.stop()
    shutil.rmtree(d, ignore_errors=True)
