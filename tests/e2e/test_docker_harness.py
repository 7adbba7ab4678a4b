"""Checks of the Docker daemon harness (docker_daemon.py) and of file_tree.py.

No executor is needed: these show that the daemon the Docker tests rely on
starts, builds with BuildKit, runs a container with Docker's default
capabilities and seccomp profile, and pushes to a loopback registry.
"""
import pytest

import file_tree
import kiln_e2e as k

pytestmark = pytest.mark.harness


def test_buildkit_builds_runs_and_pushes(docker, registry_plain, busybox_image, tmp_path):
    base = busybox_image.push(registry_plain)
    ctx = k.make_context(tmp_path / "ctx", {
        "Dockerfile": f"FROM {base}\nCOPY hello.txt /hello.txt\nRUN ln /hello.txt /hard && chmod 4750 /hard\n",
        "hello.txt": "hello from buildkit\n"})
    out = docker.buildkit_build(ctx, "kiln-e2e/harness:1")
    assert out.returncode == 0
    res = docker.run("kiln-e2e/harness:1", ["sh", "-c", "cat /hello.txt; grep CapEff /proc/self/status"])
    assert "hello from buildkit" in res.stdout
    # Docker's default set (0x00000000a80425fb): no CAP_SYS_ADMIN (bit 21).
    cap_eff = int(res.stdout.split("CapEff:")[1].split()[0], 16)
    assert cap_eff & (1 << 21) == 0, res.stdout
    assert cap_eff == 0xa80425fb, hex(cap_eff)
    ref = registry_plain.ref("harness/buildkit:1")
    docker.push("kiln-e2e/harness:1", ref)
    tree = file_tree.tree_manifest(k.pull_rootfs(ref, tmp_path / "pulled"))
    assert tree["/hello.txt"]["sha256"] == k.sha256_digest(b"hello from buildkit\n").split(":")[1]
    assert tree["/hard"]["link_group"] == tree["/hello.txt"]["link_group"] == "/hard"
    assert tree["/hard"]["mode"] == "0o4750"


def test_default_seccomp_refuses_mount_namespaces(docker, registry_plain, busybox_image):
    base = busybox_image.push(registry_plain)
    res = docker.run(base, ["busybox", "unshare", "-m", "true"], check=False)
    assert res.returncode != 0
    assert "Operation not permitted" in res.stderr + res.stdout


def test_tree_diff_names_the_difference(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "f").write_text("same")
    (b / "f").chmod(0o600)
    (b / "extra").write_text("x")
    lines = file_tree.diff(file_tree.tree_manifest(a), file_tree.tree_manifest(b))
    assert any(l.startswith("/f: mode") for l in lines), lines
    assert any(l.startswith("/extra: only in right") for l in lines), lines
