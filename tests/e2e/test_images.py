"""kiln's own images (scripts/build-images.sh, image/Dockerfile) and the CI flows
users run them in, each under runc (Debian's runc 1.1, bundles from umoci):

- GitLab: the debug image, entrypoint overridden by a /busybox/sh script that
  writes config.json from CI variables and appends the CA, then runs the executor;
- Drone: one container, several builds in sequence with --cleanup and /cache;
- Jenkins: the debug image kept running, `runc exec` runs the executor twice;
- Kubernetes: the scratch image with the context at /workspace and a
  config.json secret at /kaniko/.docker/config.json.

Each built image is pulled back (skopeo + umoci) and run with runc: it prints
what its CMD says. README.md's "CI recipes" section is the user-facing form of
these flows.
"""
from __future__ import annotations

import json
import os
import shutil
import tarfile
import textwrap
from pathlib import Path

import pytest

import drone_job
import kiln_e2e as k
import runc_helpers as rh

from kiln_images import (ARCHES, TARGETS, Images, build_images, revision as _revision,
                         static_dir as _static_dir)

DEBUG_MAX_BYTES = 12 * 1000 * 1000


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------

@pytest.fixture(scope="session", autouse=True)
def runc_requirements():
    problems = rh.missing_runc_tools()
    if problems:
        pytest.fail("the image tests cannot run on this machine:\n  - " + "\n  - ".join(problems),
                    pytrace=False)


@pytest.fixture
def runc(tmp_path):
    r = rh.Runc(tmp_path / "runc")
    yield r
    left = r.cleanup()
    assert not left, f"runc containers left behind: {left}"


@pytest.fixture
def bundles(tmp_path):
    """bundles(target) -> a fresh runc bundle of one of kiln's images."""
    n = [0]

    def _make(images: Images, target):
        n[0] += 1
        return rh.unpack(images.ref(target), tmp_path / f"bundle-{target}-{n[0]}")

    return _make


def ca_bundle_with(ca: Path, dest: Path) -> Path:
    """The host's Debian bundle plus the test CA (what a user mounts or appends)."""
    dest.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text().rstrip("\n") + "\n"
                    + Path(ca).read_text())
    return dest


def run_pulled(runc, ref, workdir: Path, name: str) -> k.Result:
    """Pull ref back, run it with runc as its config says (ENTRYPOINT/CMD); return the Result."""
    bundle = rh.pull_bundle(ref, workdir)
    rh.configure(bundle)
    res = runc.run(bundle, name, timeout=60)
    assert res.rc == 0, f"the pulled image {ref} did not run\n" + res.describe()
    return res


def busybox_app(marker: str, base: str) -> dict:
    return {
        "Dockerfile": textwrap.dedent(f"""\
            FROM {base}
            RUN echo {marker} > /{marker}.txt
            COPY message.txt /app/message.txt
            CMD ["/bin/sh", "-c", "echo {marker}: $(cat /app/message.txt) $(cat /{marker}.txt)"]
            """),
        "message.txt": f"hello from {marker}\n",
    }


# ---------------------------------------------------------------------------
# The images themselves
# ---------------------------------------------------------------------------

def test_images_are_reproducible_and_small(images, executor, tmp_path):
    build_images(_static_dir(executor), tmp_path / "first")
    first = Images(tmp_path / "first")
    again = tmp_path / "again"
    res = build_images(_static_dir(executor), again)
    second = Images(again)
    assert second.digest == first.digest, "same inputs must give the same digests\n" + res.describe()
    if _revision(images) == _revision(second):
        assert second.digest == images.digest, "build/images differs from a fresh build\n" + res.describe()
    for t in TARGETS:
        assert (again / f"{t}.tar").is_file()
    sizes = (again / "sizes.txt").read_text()
    assert all(f"{t} {a}" in " ".join(sizes.split()) for t in TARGETS for a in ARCHES), sizes
    for arch in ARCHES:
        assert images.compressed_size("debug", arch) <= DEBUG_MAX_BYTES, sizes
        # each platform's debug image is its executor image plus one layer: shared layers
        ex = [l["digest"] for l in images.manifest("executor", arch)["layers"]]
        dbg = [l["digest"] for l in images.manifest("debug", arch)["layers"]]
        assert dbg[:len(ex)] == ex and len(dbg) == len(ex) + 1, (arch, ex, dbg)


ELF_MACHINE = {"amd64": "x86-64", "arm64": "ARM aarch64", "s390x": "IBM S/390", "ppc64le": "64-bit PowerPC",
               "riscv64": "RISC-V"}


def test_images_are_indexes_of_every_architecture(images, tmp_path):
    """issue 19: each image is one index, a platform per architecture, each
    platform with its own architecture's executor, warmer and BusyBox."""
    for t in TARGETS:
        index = images.index(t)
        if len(ARCHES) > 1:
            assert index["mediaType"] == "application/vnd.oci.image.index.v1+json", (t, index)
            platforms = [(m["platform"]["os"], m["platform"]["architecture"]) for m in index["manifests"]]
            assert platforms == [("linux", a) for a in ARCHES], (t, platforms)
        for arch in ARCHES:
            cfg = images.config(t, arch)
            assert (cfg["os"], cfg["architecture"]) == ("linux", arch), (t, arch, cfg)
            # skopeo, as a client on that architecture, picks this platform's image
            info = json.loads(k.run(["skopeo", "inspect", "--override-arch", arch,
                                     f"oci:{images.index_ref(t)}"]).stdout)
            want = [l["digest"] for l in images.manifest(t, arch)["layers"]]
            assert (info["Architecture"], info["Layers"]) == (arch, want), (t, arch, info)
            root = k.unpack_layout(images.ref(t, arch), tmp_path / f"{t}-{arch}")
            bins = ["kaniko/executor", "kaniko/warmer"] + (["busybox/busybox"] if t == "debug" else [])
            for b in bins:
                desc = k.run(["file", "-b", str(root / b)]).stdout
                assert ELF_MACHINE[arch] in desc and "statically linked" in desc, (t, arch, b, desc)


def test_image_configs(images):
    env_common = {"SSL_CERT_DIR": "/kaniko/ssl/certs", "DOCKER_CONFIG": "/kaniko/.docker/",
                  "HOME": "/root", "USER": "root"}
    for t in TARGETS:
        cfg = images.config(t)
        c = cfg["config"]
        env = dict(e.split("=", 1) for e in c["Env"])
        for a, b in env_common.items():
            assert env.get(a) == b, (t, c["Env"])
        labels = c.get("Labels") or {}
        assert labels.get("org.opencontainers.image.version") == images.version, (t, labels)
        for key in ("org.opencontainers.image.revision", "org.opencontainers.image.source"):
            assert labels.get(key), (t, key, labels)
        assert cfg["created"].startswith("1970-01-01"), (t, cfg["created"])  # --reproducible
        assert cfg["os"] == "linux"
        if t == "debug":
            assert env["PATH"] == "/usr/local/bin:/kaniko:/busybox"
            assert c["WorkingDir"] == "/workspace"
        else:
            assert env["PATH"] == "/usr/local/bin:/kaniko"
        want = ["/kaniko/warmer"] if t == "warmer" else ["/kaniko/executor"]
        assert c["Entrypoint"] == want, (t, c)
        assert not c.get("Cmd"), (t, c)


def test_image_contents(images, tmp_path):
    ca = Path("/etc/ssl/certs/ca-certificates.crt").read_bytes()
    for t in TARGETS:
        root = k.unpack_layout(images.ref(t), tmp_path / t)
        for b in ("executor", "warmer"):
            p = root / "kaniko" / b
            assert p.is_file() and os.stat(p).st_mode & 0o777 == 0o755, (t, b)
        assert (root / "kaniko/executor").read_bytes()[:4] == b"\x7fELF"
        assert (root / "kaniko/ssl/certs/ca-certificates.crt").read_bytes() == ca
        dot = root / "kaniko/.docker"
        assert dot.is_dir() and not any(dot.iterdir()), f"{t}: /kaniko/.docker must be empty"
        assert os.stat(dot).st_mode & 0o777 == 0o777
        assert "hosts:" in (root / "etc/nsswitch.conf").read_text()
        top = sorted(p.name for p in root.iterdir())
        if t == "debug":
            assert top == ["busybox", "etc", "kaniko"], top
            bb = root / "busybox"
            assert (bb / "busybox").is_file() and os.stat(bb / "busybox").st_mode & 0o111
            for applet in ("sh", "cat", "base64", "sleep", "ls", "tr"):
                assert os.readlink(bb / applet) == "busybox", applet
        else:
            assert top == ["etc", "kaniko"], (t, top)
        with tarfile.open(images.dir / f"{t}.tar") as tf:
            manifest = json.load(tf.extractfile("manifest.json"))
        # skopeo writes the normalised name; `docker load` shows it as kiln/NAME:VERSION
        assert manifest[0]["RepoTags"] == [f"docker.io/kiln/{t}:{images.version}"], manifest
        assert len(manifest[0]["Layers"]) == len(images.manifest(t)["layers"])


def test_debug_image_runs_its_shell_and_executor(images, bundles, runc):
    b = bundles(images, "debug")
    rh.configure(b, args=["/busybox/sh", "-c", "pwd; echo $PATH; executor version; base64 --help 2>&1 | head -1"])
    res = runc.run(b, "debug-smoke", timeout=60)
    assert res.rc == 0, res.describe()
    lines = res.stdout.splitlines()
    assert lines[0] == "/workspace" and lines[1] == "/usr/local/bin:/kaniko:/busybox", res.describe()
    assert "version" in lines[2].lower() and "BusyBox" in res.stdout, res.describe()


# ---------------------------------------------------------------------------
# Kubernetes: the scratch image, context at /workspace, a config.json secret
# ---------------------------------------------------------------------------

def test_kubernetes_pod(images, bundles, runc, registry_auth, busybox_image, context, tmp_path):
    base = busybox_image.push(registry_auth)
    ctx = context(busybox_app("kubernetes", base))
    secret = registry_auth.docker_config(tmp_path / "secret" / "config.json")
    certs = ca_bundle_with(registry_auth.ca, tmp_path / "ca-certificates.crt")
    dest = registry_auth.ref("k8s/app:1")
    b = bundles(images, "executor")
    rh.configure(b, args=["/kaniko/executor", "--dockerfile=/workspace/Dockerfile",
                          "--context=dir:///workspace/", f"--destination={dest}"],
                 mounts=[(ctx, "/workspace", "ro"), (secret, "/kaniko/.docker/config.json", "ro"),
                         (certs, "/kaniko/ssl/certs/ca-certificates.crt", "ro")])
    res = runc.run(b, "k8s", timeout=300)
    assert res.rc == 0, res.describe()
    out = run_pulled(runc, dest, tmp_path / "pulled", "k8s-app")
    assert out.stdout.strip() == "kubernetes: hello from kubernetes kubernetes", out.describe()


# ---------------------------------------------------------------------------
# GitLab: debug image, entrypoint [""], the job script in /busybox/sh
# ---------------------------------------------------------------------------

GITLAB_SCRIPT = r"""
set -e
mkdir -p /kaniko/.docker
echo "{\"auths\":{\"${CI_REGISTRY}\":{\"auth\":\"$(printf "%s:%s" "${CI_REGISTRY_USER}" "${CI_REGISTRY_PASSWORD}" | base64 | tr -d '\n')\"}}}" > /kaniko/.docker/config.json
cat "${CUSTOM_CA_CERT}" >> /kaniko/ssl/certs/ca-certificates.crt
/kaniko/executor --context "${CI_PROJECT_DIR}" --dockerfile "${CI_PROJECT_DIR}/Dockerfile" \
  --destination "${CI_REGISTRY_IMAGE}:${CI_COMMIT_SHORT_SHA}" \
  --destination "${CI_REGISTRY_IMAGE}:latest"
echo "job done"
"""


def test_gitlab_job(images, bundles, runc, registry_auth, busybox_image, context, tmp_path):
    base = busybox_image.push(registry_auth)
    project = context(busybox_app("gitlab", base))
    ca_file = tmp_path / "ca-var"
    shutil.copy(registry_auth.ca, ca_file)
    image = registry_auth.ref("group/project")
    b = bundles(images, "debug")
    rh.configure(b, args=["/busybox/sh", "-c", GITLAB_SCRIPT],
                 env={"CI_REGISTRY": registry_auth.host, "CI_REGISTRY_USER": registry_auth.username,
                      "CI_REGISTRY_PASSWORD": registry_auth.password, "CI_REGISTRY_IMAGE": image,
                      "CI_PROJECT_DIR": "/builds/group/project", "CI_COMMIT_SHORT_SHA": "0a1b2c3d",
                      "CUSTOM_CA_CERT": "/builds/group/project.tmp/CUSTOM_CA_CERT"},
                 cwd="/builds/group/project",
                 mounts=[(project, "/builds/group/project"),
                         (ca_file, "/builds/group/project.tmp/CUSTOM_CA_CERT", "ro")])
    res = runc.run(b, "gitlab", timeout=300)
    print(res.output)
    assert res.rc == 0 and "job done" in res.stdout, res.describe()
    assert k.image_digest(f"{image}:0a1b2c3d") == k.image_digest(f"{image}:latest")
    out = run_pulled(runc, f"{image}:0a1b2c3d", tmp_path / "pulled", "gitlab-app")
    assert out.stdout.strip() == "gitlab: hello from gitlab gitlab", out.describe()


def test_gitlab_job_without_the_ca_fails(images, bundles, runc, registry_auth, busybox_image,
                                         context, tmp_path):
    """The CA step is what makes the TLS registry work: without it, the push fails."""
    base = busybox_image.push(registry_auth)
    project = context(busybox_app("gitlab-noca", base))
    script = GITLAB_SCRIPT.replace('cat "${CUSTOM_CA_CERT}" >> /kaniko/ssl/certs/ca-certificates.crt', ":")
    image = registry_auth.ref("group/noca")
    b = bundles(images, "debug")
    rh.configure(b, args=["/busybox/sh", "-c", script],
                 env={"CI_REGISTRY": registry_auth.host, "CI_REGISTRY_USER": registry_auth.username,
                      "CI_REGISTRY_PASSWORD": registry_auth.password, "CI_REGISTRY_IMAGE": image,
                      "CI_PROJECT_DIR": "/builds/group/project", "CI_COMMIT_SHORT_SHA": "1"},
                 mounts=[(project, "/builds/group/project")])
    res = runc.run(b, "gitlab-noca", timeout=300)
    assert res.rc != 0 and "job done" not in res.stdout, res.describe()
    assert not k.image_exists(f"{image}:1")


# ---------------------------------------------------------------------------
# Drone: one container, several builds with --cleanup, a failing one between
# ---------------------------------------------------------------------------

DRONE_SCRIPT = drone_job.script(["/one.txt", "/bad.txt", "/app/message.txt", "/two-builder.txt", "/bin/busybox"],
                                checks="ls /kaniko\n")


def drone_projects(base: str) -> dict:
    bb = Path("/bin/busybox").read_bytes()
    return {
        "one/Dockerfile": textwrap.dedent(f"""\
            FROM {base}
            RUN echo one > /one.txt
            COPY message.txt /app/message.txt
            CMD ["/bin/sh", "-c", "echo drone-one: $(cat /one.txt) $(cat /app/message.txt)"]
            """),
        "one/message.txt": "first build\n",
        "bad/Dockerfile": textwrap.dedent(f"""\
            FROM {base}
            RUN echo bad > /bad.txt
            RUN echo failing on purpose && exit 3
            """),
        "two/Dockerfile": textwrap.dedent(f"""\
            FROM {base} AS builder
            RUN echo two > /two-builder.txt
            FROM {base}
            COPY --from=builder /two-builder.txt /app/two.txt
            CMD ["/bin/sh", "-c", "echo drone-two: $(cat /app/two.txt)"]
            """),
        "three/Dockerfile": textwrap.dedent("""\
            FROM scratch
            COPY busybox /bin/busybox
            CMD ["/bin/busybox", "echo", "drone-three: from scratch"]
            """),
        "three/busybox": (bb, 0o755),
    }


def image_files(rootfs: Path) -> set:
    return {"/" + str(p.relative_to(rootfs)) for p in rootfs.rglob("*")}


def test_drone_one_container_many_builds(images, bundles, runc, registry_tls, busybox_image,
                                         context, tmp_path):
    base = busybox_image.push(registry_tls)
    src = context(drone_projects(base))
    cache = tmp_path / "cache"
    cache.mkdir()
    b = bundles(images, "debug")
    rh.configure(b, args=["/busybox/sh", "-c", DRONE_SCRIPT], env={"REGISTRY": registry_tls.host},
                 mounts=[(src, "/drone/src"), (cache, "/cache")])
    res = runc.run(b, "drone", timeout=900)
    print(res.output)  # shown with -s or on failure
    out = res.stdout
    assert "SCRIPT DONE" in out, res.describe()
    for name in ("one", "two", "three"):
        assert f"BUILD {name} rc=0" in out, res.describe()
    assert "BUILD bad rc=0" not in out and "BUILD bad rc=" in out, res.describe()
    assert "KANIKO OK" in out and "CACHE OK" in out, res.describe()
    assert "LEFT " not in out, "--cleanup left files in the container\n" + res.describe()
    assert not k.image_exists(registry_tls.ref("drone/bad:1"))

    files = {n: image_files(k.pull_rootfs(registry_tls.ref(f"drone/{n}:1"), tmp_path / f"fs-{n}"))
             for n in ("one", "two", "three")}
    assert "/one.txt" in files["one"] and "/app/message.txt" in files["one"]
    assert not {"/one.txt", "/app/message.txt", "/bad.txt", "/two-builder.txt"} & files["two"], files["two"]
    assert "/app/two.txt" in files["two"]
    assert files["three"] == {"/bin", "/bin/busybox"}, files["three"]
    for n in ("one", "two", "three"):
        assert not any(f.startswith(("/kaniko", "/busybox", "/drone", "/cache")) for f in files[n]), files[n]

    for n, want in (("one", "drone-one: one first build"), ("two", "drone-two: two"),
                    ("three", "drone-three: from scratch")):
        r = run_pulled(runc, registry_tls.ref(f"drone/{n}:1"), tmp_path / f"run-{n}", f"drone-{n}")
        assert r.stdout.strip() == want, r.describe()


# ---------------------------------------------------------------------------
# Jenkins: the debug image kept alive, the executor run twice with runc exec
# ---------------------------------------------------------------------------

def test_jenkins_agent_container(images, bundles, runc, registry_auth, busybox_image, context,
                                 tmp_path):
    # As Jenkins' Kubernetes plugin runs it: `command: [/busybox/cat]`, `tty: true`
    # (the pty master is held by the test, so cat blocks on it).
    base = busybox_image.push(registry_auth)
    ws = context(busybox_app("jenkins", base))
    secret_dir = tmp_path / "secret"
    registry_auth.docker_config(secret_dir / "config.json")
    certs = ca_bundle_with(registry_auth.ca, tmp_path / "ca-certificates.crt")
    b = bundles(images, "debug")
    wsdir = "/home/jenkins/agent/workspace/app"
    rh.configure(b, args=["/busybox/cat"], terminal=True,
                 mounts=[(ws, wsdir), (secret_dir, "/kaniko/.docker", "ro"),
                         (certs, "/kaniko/ssl/certs/ca-certificates.crt", "ro")])
    cid = runc.run_detached_tty(b, "jenkins")
    tty = runc.exec(cid, ["/busybox/sh", "-c", "readlink /proc/1/fd/0; cat /proc/1/cmdline"])
    assert tty.rc == 0 and tty.stdout.startswith("/dev/pts/"), tty.describe()
    refs = []
    for build_number in (1, 2):
        (ws / "message.txt").write_text(f"hello from build {build_number}\n")
        ref = registry_auth.ref(f"jenkins/app:{build_number}")
        res = runc.exec(cid, ["/busybox/sh", "-c", f"/kaniko/executor --context `pwd` --destination {ref}"],
                        cwd=wsdir, env={"BUILD_NUMBER": str(build_number)}, timeout=300)
        print(res.output)
        assert res.rc == 0, res.describe()
        refs.append(ref)
    assert runc.state(cid) == "running"
    for n, ref in enumerate(refs, 1):
        r = run_pulled(runc, ref, tmp_path / f"pulled-{n}", f"jenkins-app-{n}")
        assert r.stdout.strip() == f"jenkins: hello from build {n} jenkins", r.describe()
