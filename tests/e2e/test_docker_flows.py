"""kiln's images run by a real Docker daemon, as CI users run them.

GitLab's docker executor, Drone and a default Kubernetes pod give the job
Docker's default capability set and seccomp profile: no CAP_SYS_ADMIN, no
mount or user namespaces. Every container here is started that way (no
--privileged, no --cap-add, no --security-opt), from the docker-archive
tarballs `make images` writes (`docker load`):

- GitLab: the debug image, `--entrypoint ""`, a /busybox/sh job script that
  writes config.json, appends the registry's CA and calls /kaniko/executor;
- Drone: one container, four builds in sequence with --cleanup (one fails),
  each build checking that nothing of the previous ones leaked (files, ENV);
- Jenkins: `docker run -d -t --entrypoint /busybox/cat`, builds by `docker
  exec -w`, then an `exec` without -w after the cleaned builds (kaniko 1.19
  fails there: its cleanup deleted the image's WORKDIR); the container's file
  tree (`docker export`) is the same before and after the builds;
- the scratch executor image with its own ENTRYPOINT (a Kubernetes pod);
- the warmer image fills a cache volume, then the executor builds from it
  with `--network none`.

Every image built is run with `docker run` and its output checked.
README.md's "CI recipes" is the user-facing form of these flows.
"""
from __future__ import annotations

import hashlib
import io
import shutil
import tarfile
import textwrap
from pathlib import Path

import pytest

import drone_job
import kiln_e2e as k
from kiln_images import ARCHES

DEBUG_WORKDIR = "/workspace"


@pytest.fixture(scope="session")
def docker_images(docker, images):
    """kiln's three images loaded into the daemon: {target: "kiln/TARGET:VERSION"}."""
    tags = {}
    for target in ("executor", "debug", "warmer"):
        out = docker.load(images.tarball(target))
        tag = images.docker_tag(target)
        assert tag in out, out
        tags[target] = tag
    return tags


@pytest.fixture(scope="session")
def docker_login(docker):
    """docker_login(registry): the daemon may pull the test's built images from it."""
    done = set()

    def _login(registry):
        if registry.username and registry.host not in done:
            docker.cli(["login", "-u", registry.username, "--password-stdin", registry.host],
                       input=registry.password)
            done.add(registry.host)

    return _login


def run_image(docker, ref, *args):
    """docker run (pulling ref), Docker's defaults; the output's stripped stdout."""
    res = docker.run(ref, list(args), timeout=120)
    return res.stdout.strip()


def app_files(marker: str, base: str) -> dict:
    return {
        "Dockerfile": textwrap.dedent(f"""\
            FROM {base}
            RUN echo {marker} > /{marker}.txt
            COPY message.txt /app/message.txt
            CMD ["/bin/sh", "-c", "echo {marker}: $(cat /app/message.txt) $(cat /{marker}.txt)"]
            """),
        "message.txt": f"hello from {marker}\n",
    }


def ca_bundle_with(ca: Path, dest: Path) -> Path:
    dest.write_text(Path("/etc/ssl/certs/ca-certificates.crt").read_text().rstrip("\n") + "\n"
                    + Path(ca).read_text())
    return dest


def container_tree(docker, cid) -> dict:
    """`docker export` of a container: {path: (type, mode, uid, gid, size, sha256, link, mtime)},
    kiln's per-build work directory left out (it lives under the protected /kaniko)."""
    res = docker.cli(["export", cid], timeout=120, binary=True)
    tree = {}
    with tarfile.open(fileobj=io.BytesIO(res.stdout)) as tf:
        for m in tf:
            name = m.name.rstrip("/")
            if name == "kaniko/work" or name.startswith("kaniko/work/"):
                continue
            digest = hashlib.sha256(tf.extractfile(m).read()).hexdigest() if m.isreg() else ""
            tree["/" + name] = (m.type, oct(m.mode), m.uid, m.gid, m.size, digest, m.linkname,
                                None if name == "kaniko" else m.mtime)
    return tree


def tree_diff(before: dict, after: dict) -> list:
    out = []
    for p in sorted(set(before) | set(after)):
        if before.get(p) != after.get(p):
            out.append(f"{p}: {before.get(p)} -> {after.get(p)}")
    return out


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
grep CapEff /proc/self/status
echo "job done"
"""


def test_gitlab_job_in_docker(docker, docker_images, docker_login, registry_auth, busybox_image,
                              context, tmp_path):
    base = busybox_image.push(registry_auth)
    project = context(app_files("gitlab", base))
    ca_file = tmp_path / "CUSTOM_CA_CERT"
    shutil.copy(registry_auth.ca, ca_file)
    image = registry_auth.ref("group/project")
    env = {"CI_REGISTRY": registry_auth.host, "CI_REGISTRY_USER": registry_auth.username,
           "CI_REGISTRY_PASSWORD": registry_auth.password, "CI_REGISTRY_IMAGE": image,
           "CI_PROJECT_DIR": "/builds/group/project", "CI_COMMIT_SHORT_SHA": "0a1b2c3d",
           "CUSTOM_CA_CERT": "/builds/group/project.tmp/CUSTOM_CA_CERT"}
    args = ["-w", "/builds/group/project", "-v", f"{project}:/builds/group/project",
            "-v", f"{ca_file}:/builds/group/project.tmp/CUSTOM_CA_CERT:ro"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    res = docker.run(docker_images["debug"], ["/busybox/sh", "-c", GITLAB_SCRIPT], entrypoint="",
                     args=args, check=False, timeout=300)
    assert res.returncode == 0 and "job done" in res.stdout, res.stdout + res.stderr
    # Docker's default set: no CAP_SYS_ADMIN (bit 21).
    cap_eff = int(res.stdout.split("CapEff:")[1].split()[0], 16)
    assert cap_eff & (1 << 21) == 0, res.stdout
    assert k.image_digest(f"{image}:0a1b2c3d") == k.image_digest(f"{image}:latest")
    docker_login(registry_auth)
    assert run_image(docker, f"{image}:0a1b2c3d") == "gitlab: hello from gitlab gitlab"


# ---------------------------------------------------------------------------
# Drone: one container, several builds with --cleanup, a failing one between
# ---------------------------------------------------------------------------

DRONE_SCRIPT = drone_job.script(
    ["/one.txt", "/bad.txt", "/app", "/two-builder.txt", "/bin/busybox", "/etc/passwd", "/home"],
    before="""
mkdir -p /tmp  # the debug image has no /tmp: the job makes one, which --cleanup must keep
cat /etc/nsswitch.conf > /tmp/nsswitch.before 2>/dev/null || echo none > /tmp/nsswitch.before
""",
    checks="""cmp -s /etc/nsswitch.conf /tmp/nsswitch.before && echo "NSSWITCH OK"
[ -f /tmp/nsswitch.before ] && echo "TMP OK"
[ "$(pwd)" = /drone/src ] && echo "PWD OK"
""")


def drone_projects(base: str) -> dict:
    # Each build checks that the ones before it left nothing: their files,
    # their ENV, the container's own /tmp file written by the script.
    return {
        "one/Dockerfile": textwrap.dedent(f"""\
            FROM {base}
            ENV LEAK_ONE=one
            RUN test ! -e /tmp/nsswitch.before && echo one > /one.txt
            COPY message.txt /app/message.txt
            CMD ["/bin/sh", "-c", "echo drone-one: $(cat /one.txt) $(cat /app/message.txt) $LEAK_ONE"]
            """),
        "one/message.txt": "first build\n",
        "bad/Dockerfile": textwrap.dedent(f"""\
            FROM {base}
            ENV LEAK_BAD=bad
            RUN echo bad > /bad.txt
            RUN echo failing on purpose && exit 3
            """),
        "two/Dockerfile": textwrap.dedent(f"""\
            FROM {base} AS builder
            RUN test ! -e /one.txt && test ! -e /bad.txt && test ! -e /app && test -z "$LEAK_ONE$LEAK_BAD"
            RUN echo two > /two-builder.txt
            FROM {base}
            COPY --from=builder /two-builder.txt /app/two.txt
            CMD ["/bin/sh", "-c", "echo drone-two: $(cat /app/two.txt) [$LEAK_ONE$LEAK_BAD]"]
            """),
        "three/Dockerfile": textwrap.dedent(f"""\
            FROM {base}
            RUN test ! -e /two-builder.txt && test ! -e /app/two.txt && test ! -e /one.txt \\
                && test -z "$LEAK_ONE$LEAK_BAD" && echo three > /three.txt
            CMD ["/bin/sh", "-c", "echo drone-three: $(cat /three.txt) $(ls /app 2>&1 | wc -l)"]
            """),
    }


def test_drone_one_container_many_builds_in_docker(docker, docker_images, registry_tls, busybox_image,
                                                   context, tmp_path):
    base = busybox_image.push(registry_tls)
    src = context(drone_projects(base))
    cache = tmp_path / "cache"
    cache.mkdir()
    res = docker.run(docker_images["debug"], ["-c", DRONE_SCRIPT], entrypoint="/busybox/sh",
                     args=["-w", "/drone/src", "-e", f"REGISTRY={registry_tls.host}",
                           "-v", f"{src}:/drone/src", "-v", f"{cache}:/cache"],
                     check=False, timeout=600)
    out = res.stdout
    assert "SCRIPT DONE" in out, out + res.stderr
    for name in ("one", "two", "three"):
        assert f"BUILD {name} rc=0" in out, out + res.stderr
    assert "BUILD bad rc=0" not in out and "BUILD bad rc=" in out, out
    for ok in ("NSSWITCH OK", "TMP OK", "PWD OK", "KANIKO OK", "CACHE OK"):
        assert ok in out, f"{ok} missing\n{out}"
    assert "LEFT " not in out, "--cleanup left files in the container\n" + out
    assert not k.image_exists(registry_tls.ref("drone/bad:1"))
    for name in ("two", "three"):
        env = k.inspect_config(registry_tls.ref(f"drone/{name}:1"))["config"]["Env"]
        assert not [e for e in env if e.startswith("LEAK_")], (name, env)
    for name, want in (("one", "drone-one: one first build one"), ("two", "drone-two: two []"),
                       ("three", "drone-three: three 1")):
        assert run_image(docker, registry_tls.ref(f"drone/{name}:1")) == want, name


# ---------------------------------------------------------------------------
# Jenkins: the debug container kept alive, builds by docker exec
# ---------------------------------------------------------------------------

def test_jenkins_agent_container_in_docker(docker, docker_images, docker_login, registry_auth,
                                           busybox_image, context, tmp_path):
    base = busybox_image.push(registry_auth)
    ws = context(app_files("jenkins", base))
    secret_dir = tmp_path / "secret"
    registry_auth.docker_config(secret_dir / "config.json")
    certs = ca_bundle_with(registry_auth.ca, tmp_path / "ca-certificates.crt")
    wsdir = "/home/jenkins/agent/workspace/app"
    cid = docker.cli(["run", "-d", "-t", "--network", "host", "--entrypoint", "/busybox/cat",
                      "-v", f"{ws}:{wsdir}", "-v", f"{secret_dir}:/kaniko/.docker:ro",
                      "-v", f"{certs}:/kaniko/ssl/certs/ca-certificates.crt:ro",
                      docker_images["debug"]]).stdout.strip()
    try:
        before = container_tree(docker, cid)
        assert "/workspace" in before and "/etc/nsswitch.conf" in before, sorted(before)[:20]
        refs = []
        for n in (1, 2):
            (ws / "message.txt").write_text(f"hello from build {n}\n")
            ref = registry_auth.ref(f"jenkins/app:{n}")
            res = docker.cli(["exec", "-w", wsdir, "-e", f"BUILD_NUMBER={n}", cid, "/busybox/sh", "-c",
                              f"/kaniko/executor --context `pwd` --destination {ref} --cleanup"],
                             check=False, timeout=300)
            assert res.returncode == 0, res.stdout + res.stderr
            refs.append(ref)
        # kaniko 1.19: chdir to cwd ("/workspace") ... no such file or directory.
        res = docker.cli(["exec", cid, "/busybox/sh", "-c", "pwd; cat /etc/nsswitch.conf"], check=False)
        assert res.returncode == 0, res.stdout + res.stderr
        assert res.stdout.splitlines()[0] == DEBUG_WORKDIR and "hosts:" in res.stdout, res.stdout
        after = container_tree(docker, cid)
        # Nothing of the builds is left, not even the empty /var their base
        # brought (a parent of the ignore list's /var/run).
        assert tree_diff(before, after) == [], "the cleaned builds changed the container"
        assert docker.cli(["inspect", "-f", "{{.State.Running}}", cid]).stdout.strip() == "true"
    finally:
        docker.cli(["rm", "-f", cid], check=False)
    docker_login(registry_auth)
    for n, ref in enumerate(refs, 1):
        assert run_image(docker, ref) == f"jenkins: hello from build {n} jenkins"


# ---------------------------------------------------------------------------
# The scratch image with its own ENTRYPOINT (a Kubernetes pod)
# ---------------------------------------------------------------------------

def test_scratch_executor_image_in_docker(docker, docker_images, docker_login, registry_auth,
                                          busybox_image, context, tmp_path):
    base = busybox_image.push(registry_auth)
    ctx = context(app_files("scratch", base))
    secret = registry_auth.docker_config(tmp_path / "secret" / "config.json")
    certs = ca_bundle_with(registry_auth.ca, tmp_path / "ca-certificates.crt")
    dest = registry_auth.ref("k8s/scratch:1")
    res = docker.run(docker_images["executor"], ["--context=dir:///workspace/", f"--destination={dest}"],
                     args=["-v", f"{ctx}:/workspace:ro", "-v", f"{secret}:/kaniko/.docker/config.json:ro",
                           "-v", f"{certs}:/kaniko/ssl/certs/ca-certificates.crt:ro"],
                     check=False, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    docker_login(registry_auth)
    assert run_image(docker, dest) == "scratch: hello from scratch scratch"


# ---------------------------------------------------------------------------
# warmer, then an offline build from the warmed cache
# ---------------------------------------------------------------------------

def test_warmer_then_offline_build_in_docker(docker, docker_images, registry_plain, busybox_image,
                                             context, tmp_path):
    tagged = busybox_image.push(registry_plain)
    pinned = tagged.rsplit(":", 1)[0] + "@" + k.image_digest(tagged)
    cache = tmp_path / "cache"
    cache.mkdir()
    res = docker.run(docker_images["warmer"], ["--cache-dir=/cache", f"--image={pinned}", "--insecure-pull"],
                     args=["-v", f"{cache}:/cache"], check=False, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    ctx = context(app_files("offline", pinned))
    out = tmp_path / "out"
    out.mkdir()
    res = docker.cli(["run", "--rm", "--network", "none", "-v", f"{cache}:/cache", "-v", f"{ctx}:/workspace:ro",
                      "-v", f"{out}:/out", docker_images["executor"], "--context=dir:///workspace",
                      "--cache=true", "--cache-dir=/cache", "--no-push", "--destination=kiln-e2e/offline:1",
                      "--tar-path=/out/offline.tar"], check=False, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "in local cache" in res.stdout + res.stderr, res.stdout + res.stderr
    loaded = docker.load(out / "offline.tar")
    assert "kiln-e2e/offline:1" in loaded, loaded
    res = docker.cli(["run", "--rm", "--network", "none", "kiln-e2e/offline:1"])
    assert res.stdout.strip() == "offline: hello from offline offline"


# ---------------------------------------------------------------------------
# Another platform of kiln's own image index (issue 19)
# ---------------------------------------------------------------------------

def test_arm64_debug_image_builds_in_docker(docker, images, registry_plain, context, tmp_path):
    """kiln's debug index pushed to a registry, then `docker run --platform
    linux/arm64` of it as a GitLab job on an arm64 runner would run it (here
    through qemu-user's binfmt_misc registration, Docker's default
    capabilities): its arm64 executor builds from an arm64 base, RUN steps
    included, and pushes an arm64 image that runs."""
    if "arm64" not in ARCHES:
        pytest.skip(f"KILN_IMAGE_ARCHES={' '.join(ARCHES)} builds no arm64 image")
    debug = registry_plain.ref(f"kiln/debug:{images.version}")
    k.run(["skopeo", "copy", "--quiet", "--all", "--preserve-digests", "--dest-tls-verify=false",
           f"oci:{images.index_ref('debug')}", f"docker://{debug}"])
    base = k.foreign_busybox_base(registry_plain, "arm64", tmp_path)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN uname -m > /machine\nCOPY note.txt /note.txt\n"
                                 'CMD ["/bin/sh", "-c", "echo $(cat /machine) $(cat /note.txt)"]\n',
                   "note.txt": "built by kiln on arm64\n"})
    dest = registry_plain.ref("arm64-job/app:1")
    script = ("uname -m; /kaniko/executor --context=dir:///workspace "
              f"--destination={dest} --insecure --skip-tls-verify")
    res = docker.run(debug, ["/busybox/sh", "-c", script], entrypoint="",
                     args=["--platform", "linux/arm64", "-v", f"{ctx}:/workspace:ro"], check=False, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.splitlines()[0] == "aarch64", res.stdout
    assert k.inspect_config(dest)["architecture"] == "arm64"
    out = docker.run(dest, [], args=["--platform", "linux/arm64"], timeout=120).stdout.strip()
    assert out == "aarch64 built by kiln on arm64", out
