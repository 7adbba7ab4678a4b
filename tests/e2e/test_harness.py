"""Checks of the harness itself: registries, the base image, the sandbox.

None of these needs the executor, so they pass before kiln can build; when one
fails, the executor tests' failures mean nothing until it is fixed.
"""
import json
import os
import shutil
import ssl
import stat
import urllib.error

import pytest

import kiln_e2e as k

pytestmark = pytest.mark.harness


def sandbox(tmp_path, cmd, **kw):
    return k.run_process(k.sandbox_argv(cmd=cmd, **kw), timeout=120)


def test_registries_answer(registry_plain, registry_tls, registry_auth):
    assert registry_plain.get("/v2/")[0] == 200
    assert registry_tls.get("/v2/")[0] == 200
    status, headers, _ = registry_auth.get("/v2/", auth=False)
    assert status == 401
    assert "Basic" in headers.get("Www-Authenticate", headers.get("WWW-Authenticate", ""))
    assert registry_auth.get("/v2/")[0] == 200
    assert registry_auth.get("/v2/", password="wrong-password")[0] == 401


def test_tls_registry_needs_the_ca(registry_tls):
    """The IP SAN verifies with the CA, and fails without it."""
    import urllib.request
    with pytest.raises(urllib.error.URLError) as err:
        urllib.request.urlopen(registry_tls.url + "/v2/", context=ssl.create_default_context(),
                               timeout=10)
    assert isinstance(err.value.reason, ssl.SSLCertVerificationError)
    with urllib.request.urlopen(registry_tls.url + "/v2/", timeout=10,
                                context=ssl.create_default_context(cafile=str(registry_tls.ca))) as r:
        assert r.status == 200


def test_registry_start_stop(make_registry):
    reg = make_registry(name="short-lived")
    host = reg.host
    assert reg.get("/v2/")[0] == 200
    reg.stop()
    with pytest.raises(OSError):
        reg.get("/v2/")
    assert host not in k.REGISTRIES


@pytest.mark.parametrize("reg_name", ["registry_plain", "registry_tls", "registry_auth"])
def test_busybox_pushes_everywhere(request, reg_name, busybox_image, base_flavour):
    reg = request.getfixturevalue(reg_name)
    ref = busybox_image.push(reg, base_flavour)
    manifest = k.inspect_manifest(ref)
    expected = {"oci": (k.OCI_MANIFEST, k.OCI_CONFIG, k.OCI_LAYER_GZIP),
                "docker": (k.DOCKER_MANIFEST, k.DOCKER_CONFIG, k.DOCKER_LAYER_GZIP)}[base_flavour]
    assert manifest["mediaType"] == expected[0]
    assert manifest["config"]["mediaType"] == expected[1]
    assert [l["mediaType"] for l in manifest["layers"]] == [expected[2]] * 2
    config = k.inspect_config(ref)
    assert config["config"]["Env"] == [k.BASE_PATH_ENV]
    assert config["config"]["Cmd"] == ["sh"]
    assert config["rootfs"]["diff_ids"] == busybox_image.image.diff_ids
    assert len(config["history"]) == 3 and config["history"][2]["empty_layer"] is True
    # the same bytes in both flavours: the layers are pushed unchanged
    assert [l["digest"] for l in manifest["layers"]] == busybox_image.image.layer_digests


def test_busybox_rootfs(registry_plain, busybox_image, pull_rootfs):
    rootfs = pull_rootfs(busybox_image.push(registry_plain))
    assert os.readlink(rootfs / "bin/sh") == "busybox"
    st = os.stat(rootfs / "bin/busybox")
    assert stat.S_IMODE(st.st_mode) == 0o755 and (st.st_uid, st.st_gid) == (0, 0)
    assert stat.S_IMODE(os.stat(rootfs / "tmp").st_mode) == 0o1777
    home = os.stat(rootfs / "home/app")
    assert (home.st_uid, home.st_gid) == (1000, 1000)
    assert "app:x:1000:1000:" in (rootfs / "etc/passwd").read_text()
    assert (rootfs / "etc/kiln-base-release").read_text() == k.BASE_MARKER


def test_busybox_layout_is_deterministic(tmp_path, busybox_image):
    again = k.BusyboxImage(tmp_path)
    assert again.image.manifest_digest == busybox_image.image.manifest_digest


def test_image_exists_false_for_missing_tag(registry_plain, busybox_image):
    busybox_image.push(registry_plain)
    assert k.image_exists(registry_plain.ref("busybox:latest"))
    assert not k.image_exists(registry_plain.ref("busybox:no-such-tag"))
    assert not k.image_exists(registry_plain.ref("no-such-repo:latest"))


def test_docker_config(tmp_path, registry_auth):
    cfg = json.loads(registry_auth.docker_config(tmp_path / "config.json").read_text())
    import base64
    auth = cfg["auths"][registry_auth.host]["auth"]
    assert base64.b64decode(auth).decode() == f"{registry_auth.username}:{registry_auth.password}"


# --- the sandbox ---------------------------------------------------------------

def test_sandbox_is_isolated(tmp_path):
    ctx = k.make_context(tmp_path / "ctx", {"hello.txt": "hi\n"})
    res = sandbox(tmp_path, ["/busybox/sh", "-c",
                             "ls -a /; echo ---; tr '\\0' ' ' < /proc/1/cmdline; echo; echo ---; env | sort;"
                             " echo ---; cat /workspace/hello.txt; ls /proc | grep -c '^[0-9]'"],
                  context=ctx, busybox=True, env={"EXTRA": "1"})
    assert res.rc == 0, res.describe()
    listing, cmdline, env, rest = res.stdout.split("---\n")
    assert set(listing.split()) == {".", "..", ".dockerenv", "busybox", "dev", "etc", "kaniko",
                                    "proc", "root", "sys", "workspace"}
    assert cmdline.startswith("/busybox/sh -c"), "the command is PID 1 of its own PID namespace"
    assert sorted(env.split()) == sorted([
        "container=kiln-sandbox", "HOME=/root", "EXTRA=1", "PWD=/", "SHLVL=1",
        "PATH=/usr/local/bin:/kaniko:/usr/sbin:/usr/bin:/sbin:/bin:/busybox",
        "SSL_CERT_DIR=/kaniko/ssl/certs", "DOCKER_CONFIG=/kaniko/.docker/"])
    hello, nprocs = rest.split()
    assert hello == "hi"
    assert int(nprocs) <= 3, "only the sandbox's own processes are visible"


def test_sandbox_mounts_vanish_and_root_is_removed(tmp_path):
    res = sandbox(tmp_path, ["/busybox/sh", "-c", "pwd"], busybox=True, keep=False)
    assert res.rc == 0, res.describe()
    res = sandbox(tmp_path, ["/busybox/sh", "-c", "cat /proc/self/mountinfo"], busybox=True, keep=True)
    assert res.rc == 0, res.describe()
    root = res.stderr.split("kept sandbox root ")[1].split()[0]
    try:
        assert "/workspace" not in open("/proc/self/mountinfo").read()
        assert root not in open("/proc/self/mountinfo").read()
        assert os.path.isfile(os.path.join(root, "kaniko/ssl/certs/ca-certificates.crt"))
    finally:
        import shutil
        shutil.rmtree(root)


def test_sandbox_exit_code_and_streams(tmp_path):
    res = sandbox(tmp_path, ["/busybox/sh", "-c", "echo out; echo err >&2; exit 7"], busybox=True)
    assert (res.rc, res.stdout, res.stderr) == (7, "out\n", "err\n")


def test_sandbox_container_markers(tmp_path):
    """By default: container=kiln-sandbox and a read-only, undeletable /.dockerenv
    (the marker kaniko's own detection accepts); cgroups look like a container's."""
    res = sandbox(tmp_path, ["/busybox/sh", "-c",
                             "env; ls -la /.dockerenv; rm -f /.dockerenv; echo rm=$?; cat /proc/self/cgroup"],
                  busybox=True)
    assert res.rc == 0, res.describe()
    assert "container=kiln-sandbox" in res.stdout
    assert "/.dockerenv" in res.stdout and "rm=1" in res.stdout, res.describe()
    assert all(line.endswith(":/") for line in res.stdout.splitlines() if line[:1].isdigit())


def test_sandbox_no_container_env(tmp_path):
    """--no-container-env removes every marker kaniko's detection looks at,
    even in a --root an earlier run left its /.dockerenv mount point in."""
    root = tmp_path / "root"
    assert sandbox(tmp_path, ["/busybox/true"], busybox=True, root=root).rc == 0
    res = sandbox(tmp_path, ["/busybox/sh", "-c",
                             "env; ls -a /; ls /run/.containerenv /run/systemd/container; cat /proc/1/cmdline"],
                  busybox=True, container_env=False, root=root)
    assert "container=" not in res.stdout and "HOME=/root" in res.stdout, res.describe()
    assert ".dockerenv" not in res.stdout, res.describe()
    assert "No such file" in res.stderr


def test_sandbox_kaniko_files(tmp_path, pki):
    cfg = tmp_path / "config.json"
    cfg.write_text('{"auths":{}}')
    extra = tmp_path / "bin"
    extra.mkdir()
    (extra / "note").write_text("bound\n")
    res = sandbox(tmp_path, ["/busybox/sh", "-c",
                             "cat /kaniko/.docker/config.json; echo; tail -c 200 /kaniko/ssl/certs/ca-certificates.crt;"
                             " cat /mnt/extra/note; ls -l /kaniko/executor /kaniko/warmer; cat /etc/resolv.conf"],
                  busybox=True, docker_config=cfg, ca=pki.ca_cert, binds=[(extra, "/mnt/extra")],
                  executor="/bin/busybox", warmer="/bin/busybox")
    assert res.rc == 0, res.describe()
    assert '{"auths":{}}' in res.stdout
    assert pki.ca_cert.read_text()[-120:] in res.stdout, "the --ca file is appended to the bundle"
    assert "bound" in res.stdout
    assert res.stdout.count("-rwxr-xr-x") == 2


def test_sandbox_exec_mode_runs_kaniko_executor(tmp_path):
    """Default mode: the arguments after -- go to /kaniko/executor (a script here)."""
    fake = tmp_path / "fake-executor"
    fake.write_text('#!/busybox/sh\necho "I am $0, args: $*"\nexit 3\n')
    res = k.run_process(k.sandbox_argv(executor=fake, busybox=True, args=["--a", "b c"]))
    assert (res.rc, res.stdout) == (3, "I am /kaniko/executor, args: --a b c\n"), res.describe()


def test_sandbox_shared_root(tmp_path):
    """Several runs in one --root (Drone style): state persists, mounts do not pile up."""
    root = tmp_path / "root"
    r1 = sandbox(tmp_path, ["/busybox/sh", "-c", "echo one > /state; grep -c ' /proc ' /proc/self/mountinfo"],
                 busybox=True, root=root)
    r2 = sandbox(tmp_path, ["/busybox/sh", "-c", "cat /state; grep -c ' /proc ' /proc/self/mountinfo"],
                 busybox=True, root=root)
    assert (r1.rc, r2.rc) == (0, 0), r1.describe() + r2.describe()
    assert r2.stdout == "one\n1\n"
    assert root.is_dir() and not os.path.ismount(root / "proc")


def test_tampering_is_detectable(fresh_registry, tmp_path):
    """skopeo itself must reject the tampered base used by test_tampered_base_blob."""
    ref, digest, _ = k.push_tampered_image(fresh_registry, tmp_path)
    p = k.run(["skopeo", "copy", "--quiet", *fresh_registry.skopeo_args("src-"), f"docker://{ref}",
               f"oci:{tmp_path / 'pulled'}:x"], check=False)
    assert p.returncode != 0
    assert "digest" in p.stderr.lower() and digest in p.stderr, p.stderr


def test_archive_and_layout_round_trips(registry_plain, busybox_image, tmp_path):
    """The skopeo/umoci paths the output tests use, on an image skopeo writes."""
    ref = busybox_image.push(registry_plain)
    archive = tmp_path / "image.tar"
    k.run(["skopeo", "copy", "--quiet", *registry_plain.skopeo_args("src-"), f"docker://{ref}",
           f"docker-archive:{archive}:{ref}"])
    layout = tmp_path / "from-tar"
    k.run(["skopeo", "copy", "--quiet", f"docker-archive:{archive}", f"oci:{layout}:x"])
    rootfs = k.unpack_layout(f"{layout}:x", tmp_path / "unpacked")
    assert (rootfs / "etc/kiln-base-release").read_text() == k.BASE_MARKER
    # an OCI layout whose only manifest has no ref.name (as kaniko writes one)
    bare = tmp_path / "bare"
    shutil.copytree(busybox_image.layout, bare)
    index = json.loads((bare / "index.json").read_text())
    del index["manifests"][0]["annotations"]
    (bare / "index.json").write_text(json.dumps(index))
    info = json.loads(k.run(["skopeo", "inspect", f"oci:{bare}"]).stdout)
    assert info["Env"] == [k.BASE_PATH_ENV]
    k.run(["skopeo", "copy", "--quiet", f"oci:{bare}", f"oci:{tmp_path / 'copy'}:x"])
