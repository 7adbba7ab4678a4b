"""CI conveniences beyond kaniko's command line (issue 6): `executor login`,
`executor push` of a saved tarball / OCI layout, the `env` credential helper
(the env credential helper: KANIKO_<HOST>_USER/_PASSWORD), and the Drone
seed pattern (the debug image's /kaniko and /busybox copied into another image,
builds run from there with --cleanup).

login and push need no container: some runs here are on the host directly,
with DOCKER_CONFIG pointing at a scratch directory.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import tarfile
import textwrap
from pathlib import Path

import kiln_e2e as k
import runc_helpers as rh
from test_images import runc  # noqa: F401  (fixture: runc containers; `images` is in conftest.py)


def env_prefix(host: str) -> str:
    """KANIKO_<HOST>: the host upper-cased, '.', '-' and ':' as '_'."""
    return "KANIKO_" + "".join(c.upper() if c.isalnum() else "_" for c in host)


def host_run(executor, args, *, docker_config_dir, stdin=None):
    """The executor on the host, no container, no /kaniko: DOCKER_CONFIG decides."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DOCKER_CONFIG": str(docker_config_dir),
           "HOME": "/nonexistent"}
    return k.run_process([str(executor), *map(str, args)], timeout=120,
                         stdin_data=stdin.encode() if stdin is not None else None, env=env)


def tls_flags(reg):
    return [f"--registry-certificate={reg.host}={reg.ca}"]


def flip_byte(path: Path, offset: int):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0x55]))


def small_app(base, marker):
    return {"Dockerfile": f"FROM {base}\nCOPY f /f\nLABEL ci={marker}\n", "f": f"{marker}\n"}


# ---------------------------------------------------------------------------
# executor login
# ---------------------------------------------------------------------------

def test_login_then_build_without_a_hand_made_config(registry_auth, busybox_image, context,
                                                     executor, tmp_path, pull_rootfs):
    """One CI container: `executor login --password-stdin`, then a build that
    pulls from and pushes to the TLS+htpasswd registry with what login wrote."""
    base = busybox_image.push(registry_auth)
    ctx = context(small_app(base, "login"))
    root = tmp_path / "root"
    dest = registry_auth.ref("ci/login:1")
    # As a GitLab job script does it: the password from a CI variable, piped.
    script = 'echo "$REG_PASSWORD" | /kaniko/executor login -u "$REG_USER" --password-stdin "$REG"'
    login = k.run_process(k.sandbox_argv(executor=executor, context=ctx, ca=registry_auth.ca, root=root,
                                         busybox=True, cmd=["/busybox/sh", "-c", script],
                                         env={"REG": registry_auth.host, "REG_USER": registry_auth.username,
                                              "REG_PASSWORD": registry_auth.password}), timeout=120)
    assert login.rc == 0 and "Login Succeeded" in login.stdout, login.describe()
    assert registry_auth.password not in login.output, "the password must never be printed"
    cfg_path = root / "kaniko/.docker/config.json"
    assert stat.S_IMODE(cfg_path.stat().st_mode) == 0o600
    cfg = json.loads(cfg_path.read_text())
    assert cfg["auths"][registry_auth.host]["auth"] == registry_auth.auth_string(), cfg
    assert not [p for p in cfg_path.parent.iterdir() if p.name != "config.json"], "temp file left behind"

    build = k.run_process(k.sandbox_argv(executor=executor, context=ctx, ca=registry_auth.ca, root=root,
                                         args=["--context=dir:///workspace", f"--destination={dest}"]),
                          timeout=300)
    assert build.rc == 0, build.describe()
    assert (pull_rootfs(dest) / "f").read_text() == "login\n"


def test_login_merges_into_an_existing_config(registry_auth, executor, tmp_path):
    """On the host (no container): other registries, credHelpers and unknown
    members survive; a stale spelling of the same registry is replaced."""
    d = tmp_path / "docker"
    d.mkdir()
    old = {"auths": {"other.example:443": {"auth": base64.b64encode(b"o:p").decode()},
                     f"https://{registry_auth.host}": {"auth": base64.b64encode(b"old:old").decode()}},
           "credHelpers": {"gcr.io": "gcr"}, "psFormat": "table"}
    (d / "config.json").write_text(json.dumps(old))
    res = host_run(executor, ["login", "-u", registry_auth.username, "-p", registry_auth.password,
                              *tls_flags(registry_auth), registry_auth.host], docker_config_dir=d)
    assert res.rc == 0 and "Login Succeeded" in res.stdout, res.describe()
    assert registry_auth.password not in res.output
    assert "--password-stdin" in res.stderr, "-p on the command line deserves docker's warning"
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["auths"] == {"other.example:443": old["auths"]["other.example:443"],
                            registry_auth.host: {"auth": registry_auth.auth_string()}}, cfg
    assert cfg["credHelpers"] == {"gcr.io": "gcr"} and cfg["psFormat"] == "table", cfg
    assert stat.S_IMODE((d / "config.json").stat().st_mode) == 0o600


def test_login_with_a_wrong_password_is_refused(registry_auth, executor, tmp_path):
    d = tmp_path / "docker"
    wrong = "wrong-" + registry_auth.password
    res = host_run(executor, ["login", "-u", registry_auth.username, "--password-stdin",
                              *tls_flags(registry_auth), registry_auth.host],
                   docker_config_dir=d, stdin=wrong)
    assert res.rc != 0, res.describe()
    assert "refused" in res.stderr and "401" in res.stderr and registry_auth.host in res.stderr, res.describe()
    assert wrong not in res.output and registry_auth.password not in res.output
    assert not (d / "config.json").exists(), "a refused login must write nothing"
    # --verify=false trusts the caller: written without asking the registry
    res = host_run(executor, ["login", "--verify=false", "-u", "docker-user", "--password-stdin", "docker.io"],
                   docker_config_dir=d, stdin="hub-secret")
    assert res.rc == 0, res.describe()
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["auths"] == {"https://index.docker.io/v1/": {
        "auth": base64.b64encode(b"docker-user:hub-secret").decode()}}, cfg


# ---------------------------------------------------------------------------
# executor push
# ---------------------------------------------------------------------------

def saved_build(run_build, context, outdir, registry, busybox_image, marker):
    base = busybox_image.push(registry)
    ctx = context(small_app(base, marker))
    run_build(ctx, ["--context=dir:///workspace", "--no-push", "--tar-path=/output/image.tar",
                    "--oci-layout-path=/output/layout", f"--destination={registry.ref('ci/saved:v1')}"],
              ca=registry.ca,
              docker_config=registry.docker_config(outdir.parent / "cfg" / "config.json") if registry.auth else None,
              binds=[(outdir, "/output")])
    return outdir / "image.tar", outdir / "layout"


def copy_back_digest(ref, workdir: Path) -> str:
    """skopeo copy docker://ref to a dir: (manifest kept byte for byte, blobs
    verified by skopeo); the digest of the manifest it stored."""
    reg = k.registry_for(ref)
    target = workdir / ("copy-" + hashlib.sha1(ref.encode()).hexdigest()[:8])
    k.run(["skopeo", "copy", "--quiet", *reg.skopeo_args("src-"), f"docker://{ref}", f"dir:{target}"])
    return "sha256:" + hashlib.sha256((target / "manifest.json").read_bytes()).hexdigest()


def test_push_a_tarball_and_an_oci_layout(registry_auth, busybox_image, context, run_build, outdir,
                                          executor, tmp_path):
    tarball, layout = saved_build(run_build, context, outdir, registry_auth, busybox_image, "saved")
    assert not k.image_exists(registry_auth.ref("ci/saved:v1"))
    d = tmp_path / "docker"
    registry_auth.docker_config(d / "config.json")
    tar_dests = [registry_auth.ref("ci/from-tar:1"), registry_auth.ref("ci/from-tar-b:2")]
    res = host_run(executor, ["push", tarball, *[f"--destination={r}" for r in tar_dests], *tls_flags(registry_auth),
                              f"--digest-file={tmp_path / 'out/digest'}",
                              f"--image-name-with-digest-file={tmp_path / 'out/names'}"], docker_config_dir=d)
    assert res.rc == 0, res.describe()
    digest = (tmp_path / "out/digest").read_text()
    for r in tar_dests:
        assert k.image_digest(r) == digest
        assert copy_back_digest(r, tmp_path) == digest
    repos = [r.rsplit(":", 1)[0] for r in tar_dests]
    assert (tmp_path / "out/names").read_text() == "".join(f"{r}@{digest}\n" for r in repos)
    # the config pushed is the tarball's, byte for byte
    with tarfile.open(tarball) as tf:
        entry = json.load(tf.extractfile("manifest.json"))[0]
        config_bytes = tf.extractfile(entry["Config"]).read()
    assert k.inspect_manifest(tar_dests[0])["config"]["digest"] == k.sha256_digest(config_bytes)

    # the OCI layout: its manifest goes up unchanged, so the digest is the layout's
    index = json.loads((layout / "index.json").read_text())
    layout_digest = index["manifests"][0]["digest"]
    oci_dest = registry_auth.ref("ci/from-layout:1")
    res = host_run(executor, ["push", layout, f"--destination={oci_dest}", *tls_flags(registry_auth),
                              f"--digest-file={tmp_path / 'out/oci-digest'}"], docker_config_dir=d)
    assert res.rc == 0, res.describe()
    assert (tmp_path / "out/oci-digest").read_text() == layout_digest
    assert k.image_digest(oci_dest) == layout_digest == copy_back_digest(oci_dest, tmp_path)
    assert [l["digest"] for l in k.inspect_manifest(oci_dest)["layers"]] == \
        [l["digest"] for l in k.inspect_manifest(tar_dests[0])["layers"]]


def test_push_of_a_damaged_tarball_or_layout_tags_nothing(registry_plain, busybox_image, context, run_build,
                                                         outdir, executor, tmp_path):
    tarball, layout = saved_build(run_build, context, outdir, registry_plain, busybox_image, "damaged")
    with tarfile.open(tarball) as tf:
        entry = json.load(tf.extractfile("manifest.json"))[0]
        member = tf.getmember(entry["Layers"][-1])
    layer_digest = "sha256:" + member.name.split(".", 1)[0]
    flip_byte(tarball, member.offset_data + member.size // 2)
    dest = registry_plain.ref("ci/damaged:1")
    res = host_run(executor, ["push", tarball, f"--destination={dest}"], docker_config_dir=tmp_path / "none")
    assert res.rc != 0, res.describe()
    assert layer_digest in res.stderr and "does not match" in res.stderr, res.describe()
    assert not k.image_exists(dest), "a damaged tarball must not be tagged"

    manifest = json.loads((layout / "blobs/sha256" / json.loads((layout / "index.json").read_text())
                           ["manifests"][0]["digest"].split(":")[1]).read_text())
    blob = layout / "blobs/sha256" / manifest["layers"][-1]["digest"].split(":")[1]
    flip_byte(blob, blob.stat().st_size // 2)
    dest = registry_plain.ref("ci/damaged-layout:1")
    res = host_run(executor, ["push", layout, f"--destination={dest}"], docker_config_dir=tmp_path / "none")
    assert res.rc != 0 and manifest["layers"][-1]["digest"] in res.stderr, res.describe()
    assert not k.image_exists(dest), "a damaged layout must not be tagged"


# ---------------------------------------------------------------------------
# --credential-helpers=env
# ---------------------------------------------------------------------------

def test_env_credential_helper(registry_auth, busybox_image, context, run_build, pull_rootfs):
    """No config.json at all: the credentials come from KANIKO_<HOST>_USER and
    KANIKO_<HOST>_PASSWORD, by default (all built-in helpers, as kaniko) or
    when --credential-helpers names env, and not when it leaves env out."""
    base = busybox_image.push(registry_auth)
    ctx = context(small_app(base, "env"))
    p = env_prefix(registry_auth.host)
    env = {f"{p}_USER": registry_auth.username, f"{p}_PASSWORD": registry_auth.password}
    dest = registry_auth.ref("ci/env:1")
    without = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", "--credential-helpers=gcr,ecr"],
                        ca=registry_auth.ca, env=env, expect_rc="fail")
    assert "401" in without.output or "no credentials" in without.output, without.describe()
    for helpers in (["--credential-helpers=env,ecr-login"], []):
        res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", *helpers],
                        ca=registry_auth.ca, env=env)
        assert registry_auth.password not in res.output
        assert (pull_rootfs(dest) / "f").read_text() == "env\n"


# ---------------------------------------------------------------------------
# The Drone seed: /kaniko and /busybox copied into another image
# ---------------------------------------------------------------------------

SEED_SCRIPT = r"""
report() {
  for f in /etc/host-image.conf /usr/share/host-image/data.txt /bin/busybox /etc/kiln-base-release \
           /one.txt /two.txt /kaniko/executor /busybox/sh; do
    [ -e "$f" ] && echo "$1 HAVE $f"
  done
}
report START
for n in one two; do
  /kaniko/executor --cleanup --dockerfile=/src/$n/Dockerfile --context=dir:///src/$n \
    --destination=$REGISTRY/seed/$n:1
  echo "BUILD $n rc=$?"
  report "AFTER-$n"
done
echo SCRIPT DONE
"""


def test_seed_image_with_kaniko_and_busybox_copied_in(images, runc, registry_plain, busybox_image,  # noqa: F811
                                                      context, tmp_path):
    base = busybox_image.push(registry_plain)
    src = context({
        "one/Dockerfile": f"FROM {base}\nRUN echo one > /one.txt\n",
        "two/Dockerfile": f"FROM {base}\nRUN echo two > /two.txt\n",
    })
    # The "host" image: the busybox base plus files of its own in /etc and /usr.
    bundle = rh.unpack(f"{busybox_image.layout}:latest", tmp_path / "seed-bundle")
    rootfs = bundle / "rootfs"
    (rootfs / "etc/host-image.conf").write_text("host\n")
    (rootfs / "usr/share/host-image").mkdir(parents=True)
    (rootfs / "usr/share/host-image/data.txt").write_text("host data\n")
    debug = rh.unpack(images.ref("debug"), tmp_path / "debug-bundle") / "rootfs"
    for d in ("kaniko", "busybox"):
        shutil.copytree(debug / d, rootfs / d, symlinks=True)
    rh.configure(bundle, args=["/busybox/sh", "-c", SEED_SCRIPT],
                 env={"PATH": "/usr/local/bin:/kaniko:/busybox", "DOCKER_CONFIG": "/kaniko/.docker/",
                      "SSL_CERT_DIR": "/kaniko/ssl/certs", "HOME": "/root", "REGISTRY": registry_plain.host},
                 mounts=[(src, "/src", "ro")])
    res = runc.run(bundle, "seed", timeout=300)
    print(res.output)
    out = res.stdout.splitlines()
    assert "SCRIPT DONE" in out and "BUILD one rc=0" in out and "BUILD two rc=0" in out, res.describe()
    assert "START HAVE /etc/host-image.conf" in out, res.describe()
    # --cleanup leaves the container as the build found it (unlike kaniko,
    # which wipes the host image's own files too): after each build exactly
    # the files the container started with are there, none of the build's.
    start = {line.split(" HAVE ", 1)[1] for line in out if line.startswith("START HAVE ")}
    assert start >= {"/etc/host-image.conf", "/usr/share/host-image/data.txt", "/kaniko/executor", "/busybox/sh"}
    for n in ("one", "two"):
        have = {line.split(" HAVE ", 1)[1] for line in out if line.startswith(f"AFTER-{n} HAVE ")}
        assert have == start, (n, have, res.describe())

    base_files = rh_image_files(k.unpack_layout(f"{busybox_image.layout}:latest", tmp_path / "base"))
    for n in ("one", "two"):
        files = rh_image_files(k.pull_rootfs(registry_plain.ref(f"seed/{n}:1"), tmp_path / f"pulled-{n}"))
        assert files == base_files | {f"/{n}.txt"}, (n, sorted(files ^ (base_files | {f'/{n}.txt'})))


def rh_image_files(rootfs: Path) -> set:
    return {"/" + str(p.relative_to(rootfs)) for p in rootfs.rglob("*")}
