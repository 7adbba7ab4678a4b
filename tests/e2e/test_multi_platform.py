"""Builds for several platforms in one invocation (issue 19 §2).

The base is a two-platform busybox index: this machine's BusyBox for
linux/amd64 and Debian's arm64 busybox-static for linux/arm64
(scripts/foreign-busybox.sh), so RUN steps of the arm64 build execute arm64
programs through qemu-user's binfmt_misc registration
(scripts/qemu-binfmt.sh), in the sandbox's chroot as in a user's container.
Each platform's image is checked by what it holds: the architecture of its
binaries (`file`) and what `uname -m` said while its RUN steps ran.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path

import pytest

import kiln_e2e as k
from test_ci_conveniences import host_run

REPO = Path(__file__).resolve().parents[2]
PLATFORMS = "--custom-platform=linux/amd64,linux/arm64"

DOCKERFILE = """\
FROM --platform=$BUILDPLATFORM BASE AS build
ARG TARGETARCH
RUN uname -m > /build-machine && echo "$TARGETARCH" > /built-for
FROM BASE
ARG TARGETPLATFORM
COPY hello.txt /hello.txt
COPY --from=build /build-machine /built-for /from-build/
RUN uname -m > /machine && echo "$TARGETPLATFORM" > /platform && cp /bin/busybox /own-busybox
"""


def arm64_busybox() -> str:
    return subprocess.run([str(REPO / "scripts/foreign-busybox.sh"), "arm64"], check=True,
                          capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def two_platform_base(session_dir, registry_plain, executor):
    """HOST/mbusybox:latest, an index of linux/amd64 and linux/arm64 busybox images."""
    work = session_dir / "multi-platform-base"
    refs = []
    for arch, busybox in (("amd64", "/bin/busybox"), ("arm64", arm64_busybox())):
        image = k.write_oci_layout(work / arch, k.busybox_layers(busybox), arch=arch,
                                   history=k.BUSYBOX_HISTORY, config_extra={"Cmd": ["sh"]})
        refs.append(k.push_layout(image, registry_plain.ref(f"mbusybox:{arch}"), "docker"))
    index = registry_plain.ref("mbusybox:latest")
    res = host_run(executor, ["manifest", *refs, f"--destination={index}", *registry_plain.insecure_args()],
                   docker_config_dir=work / "no-config")
    assert res.rc == 0, res.describe()
    return index


def elf_machine(path: Path) -> str:
    return subprocess.run(["file", "-b", str(path)], check=True, capture_output=True, text=True).stdout


# docker_caps: in a container with Docker's default capabilities (no mount
# namespace of its own): the emulator registration is the kernel's, so the
# arm64 RUN works there as well.
@pytest.mark.parametrize("docker_caps", [False, True], ids=["sandbox", "docker-caps"])
def test_two_platforms_one_index(two_platform_base, registry_plain, run_build, context, outdir, tmp_path,
                                 docker_caps):
    base = two_platform_base
    ctx = context({"Dockerfile": DOCKERFILE.replace("BASE", base), "hello.txt": "hello\n"})
    dest = registry_plain.ref("multi/built:1")
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", PLATFORMS,
                          "--digest-file=/output/digest", "--oci-layout-path=/output/layout",
                          *registry_plain.insecure_args()], binds=[(outdir, "/output")], docker_caps=docker_caps)
    assert "Building for linux/arm64 (2 of 2)" in res.output, res.output
    # Side by side where a root of its own can run the arm64 RUN (a mount
    # namespace); one after another with Docker's default capabilities.
    if docker_caps:
        assert "Platforms are built one after another in the root" in res.output, res.output
    else:
        assert "Building 2 platforms side by side" in res.output, res.output

    index_bytes = k.inspect_raw_manifest(dest)
    index = json.loads(index_bytes)
    assert index["mediaType"] == "application/vnd.docker.distribution.manifest.list.v2+json", index
    entries = {m["platform"]["architecture"]: m["digest"] for m in index["manifests"]}
    assert sorted(entries) == ["amd64", "arm64"], index
    assert (outdir / "digest").read_text() == "sha256:" + hashlib.sha256(index_bytes).hexdigest()

    expect = {"amd64": ("x86_64", "x86-64"), "arm64": ("aarch64", "ARM aarch64")}
    repo = dest.rsplit(":", 1)[0]
    for arch, (machine, elf) in expect.items():
        ref = f"{repo}@{entries[arch]}"
        assert k.inspect_config(ref)["architecture"] == arch
        root = k.pull_rootfs(ref, tmp_path / f"pulled-{arch}")
        assert (root / "machine").read_text() == machine + "\n", arch  # its RUN ran as that architecture
        assert (root / "platform").read_text() == f"linux/{arch}\n"
        assert elf in elf_machine(root / "own-busybox"), arch
        # The cross-compiling stage ran once per platform, natively, told its target.
        assert (root / "from-build/build-machine").read_text() == "x86_64\n", arch
        assert (root / "from-build/built-for").read_text() == arch + "\n"
        assert (root / "hello.txt").read_text() == "hello\n"

    # The OCI layout holds the index too (OCI media types): skopeo picks each platform from it.
    layout = json.loads((outdir / "layout/index.json").read_text())
    assert [m["mediaType"] for m in layout["manifests"]] == ["application/vnd.oci.image.index.v1+json"]
    for arch in ("amd64", "arm64"):
        out = k.run(["skopeo", "--override-arch", arch, "inspect", f"oci:{outdir / 'layout'}:1"]).stdout
        assert json.loads(out)["Architecture"] == arch


# Each platform's RUN leaves a mark in a shared cache mount and waits (up to
# `wait` seconds) for the other platform's: both succeed only when the
# platforms are built at the same time.
RENDEZVOUS = """\
FROM BASE
ARG TARGETARCH
RUN --mount=type=cache,id=platforms,target=/sync \\
    case "$TARGETARCH" in amd64) other=arm64;; *) other=amd64;; esac; touch /sync/$TARGETARCH; i=0; \\
    while [ ! -e /sync/$other ]; do i=$((i+1)); [ $i -gt TRIES ] && exit 7; sleep 0.1; done; \\
    uname -m > /machine && pwd > /pwd && head -c 20 /proc/self/stat > /proc-seen
"""


def test_platforms_are_built_at_the_same_time(two_platform_base, registry_plain, run_build, context, tmp_path):
    ctx = context({"Dockerfile": RENDEZVOUS.replace("BASE", two_platform_base).replace("TRIES", "600")})
    dest = registry_plain.ref("multi/together:1")
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", PLATFORMS, "--jobs=2",
                          *registry_plain.insecure_args()])
    assert "Building 2 platforms side by side" in res.output, res.output
    assert "[linux/amd64] " in res.output and "[linux/arm64] " in res.output, res.output
    index = json.loads(k.inspect_raw_manifest(dest))
    repo = dest.rsplit(":", 1)[0]
    for m in index["manifests"]:
        arch = m["platform"]["architecture"]
        root = k.pull_rootfs(f"{repo}@{m['digest']}", tmp_path / f"pulled-{arch}")
        assert (root / "machine").read_text() == {"amd64": "x86_64\n", "arm64": "aarch64\n"}[arch]
        # The platform in a root of its own ran in it, with a /proc there.
        assert (root / "pwd").read_text() == "/\n" and (root / "proc-seen").read_text(), arch
        assert not (root / "sync").exists() or not any((root / "sync").iterdir()), arch


def test_jobs_one_builds_platforms_one_after_another(two_platform_base, registry_plain, run_build, context):
    ctx = context({"Dockerfile": RENDEZVOUS.replace("BASE", two_platform_base).replace("TRIES", "20")})
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={registry_plain.ref('multi/apart:1')}",
                          PLATFORMS, "--jobs=1", *registry_plain.insecure_args()], expect_rc=7)
    assert "side by side" not in res.output, res.output


def test_a_failing_platform_stops_the_other(two_platform_base, registry_plain, run_build, context, tmp_path):
    df = (f"FROM {two_platform_base}\nARG TARGETARCH\n"
          'RUN if [ "$TARGETARCH" = arm64 ]; then sleep 1; exit 3; fi; sleep 60; touch /slow\n')
    root = tmp_path / "root"
    t0 = time.monotonic()
    res = run_build(context({"Dockerfile": df}),
                    ["--context=dir:///workspace", f"--destination={registry_plain.ref('multi/broken:1')}",
                     PLATFORMS, "--jobs=2", "--cleanup", *registry_plain.insecure_args()], root=root, expect_rc=3)
    assert time.monotonic() - t0 < 40, "the slow platform was not stopped"
    assert "exit code 3" in res.output and "stopping the others" in res.output, res.output
    assert not any((root / "kaniko/work").iterdir()), "the platforms' roots and work files must be gone"
    assert k.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{registry_plain.ref('multi/broken:1')}"],
                 check=False).returncode != 0, "nothing may be tagged"


SHARED = """\
FROM --platform=$BUILDPLATFORM TOOLS AS tools
RUN cat /proc/sys/kernel/random/uuid > /id && uname -m > /machine
FROM --platform=$BUILDPLATFORM BASE AS per-target
ARG TARGETARCH
RUN cat /proc/sys/kernel/random/uuid > /id && echo "$TARGETARCH" > /arch
FROM BASE
COPY --from=tools /id /tools-id
COPY --from=tools /machine /tools-machine
COPY --from=per-target /id /per-target-id
COPY --from=per-target /arch /arch
"""


@pytest.mark.parametrize("docker_caps", [False, True], ids=["sandbox", "docker-caps"])
def test_a_build_platform_stage_alike_everywhere_is_built_once(two_platform_base, registry_plain, run_build,
                                                                context, tmp_path, docker_caps):
    """A `FROM --platform=$BUILDPLATFORM` stage that reads no TARGET* is the
    same for every platform: built once (BuildKit does the same), its files
    in every platform's image; one that reads TARGETARCH is built per
    platform. Each RUN writes a fresh random id, so equal ids mean one run."""
    # The tools stage's base is an image no other stage uses: only the
    # platform that builds the stage fetches it.
    tools = two_platform_base.replace(":latest", ":amd64")
    ctx = context({"Dockerfile": SHARED.replace("TOOLS", tools).replace("BASE", two_platform_base)})
    dest = registry_plain.ref("multi/shared:1")
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", PLATFORMS,
                          *registry_plain.insecure_args()], docker_caps=docker_caps)
    assert "Stage(s) 0 (tools) are the same for every platform: built once, for linux/amd64" in res.output, \
        res.output
    assert "Stage 0 (tools) is the same for every platform: using the one built for linux/amd64" in res.output
    assert res.output.count(f"Retrieving image manifest {tools}") == 1, res.output
    index = json.loads(k.inspect_raw_manifest(dest))
    repo = dest.rsplit(":", 1)[0]
    roots = {m["platform"]["architecture"]: k.pull_rootfs(f"{repo}@{m['digest']}", tmp_path / m["digest"][7:19])
             for m in index["manifests"]}
    assert sorted(roots) == ["amd64", "arm64"]
    read = {a: {f: (r / f).read_text() for f in ("tools-id", "tools-machine", "per-target-id", "arch")}
            for a, r in roots.items()}
    assert read["amd64"]["tools-id"] == read["arm64"]["tools-id"], read  # built once
    assert read["amd64"]["per-target-id"] != read["arm64"]["per-target-id"], read  # built per platform
    for arch in roots:
        assert read[arch]["tools-machine"] == "x86_64\n" and read[arch]["arch"] == arch + "\n", read


def test_a_platform_this_host_cannot_run_fails_before_anything(registry_plain, run_build, context):
    # Debian registers no qemu-arm: a RUN for linux/arm/v7 cannot run here.
    if Path("/proc/sys/fs/binfmt_misc/qemu-arm").exists():
        pytest.skip("qemu-arm is registered on this machine")
    ctx = context({"Dockerfile": "FROM nosuchbase:1\nRUN true\n"})
    dest = registry_plain.ref("multi/never:1")
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}",
                          "--custom-platform=linux/amd64,linux/arm/v7", *registry_plain.insecure_args()],
                    expect_rc="fail")
    assert "RUN steps for linux/arm/v7 need this host to run linux/arm/v7 programs" in res.output, res.output
    assert "binfmt_misc" in res.output and "qemu-user-static" in res.output
    # Refused before the base image was asked for, and nothing pushed.
    assert "nosuchbase" not in res.output, res.output
    assert not k.image_exists(dest)


def build_tarball(base, registry_plain, run_build, context, outdir, tag):
    """--no-push --tar-path of the two-platform build; returns (tarball path, its destination name)."""
    ctx = context({"Dockerfile": DOCKERFILE.replace("BASE", base), "hello.txt": "hello\n"})
    dest = registry_plain.ref(tag)
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", "--no-push", PLATFORMS,
                    "--tar-path=/output/image.tar", *registry_plain.insecure_args()], binds=[(outdir, "/output")])
    assert not k.image_exists(dest)
    return outdir / "image.tar", dest


def test_tar_path_holds_the_index(two_platform_base, registry_plain, run_build, context, outdir):
    tarball, dest = build_tarball(two_platform_base, registry_plain, run_build, context, outdir, "multi/tar:1")
    # An OCI archive of the index: skopeo picks each platform from it.
    for arch in ("amd64", "arm64"):
        out = k.run(["skopeo", "--override-arch", arch, "inspect", f"oci-archive:{tarball}:1"]).stdout
        assert json.loads(out)["Architecture"] == arch
    # A docker-archive too: the tag names this machine's platform.
    out = k.run(["skopeo", "inspect", f"docker-archive:{tarball}:{dest}"]).stdout
    assert json.loads(out)["Architecture"] == k.host_arch()
    manifest = json.loads(subprocess.run(["tar", "-xOf", str(tarball), "manifest.json"], check=True,
                                         capture_output=True).stdout)
    assert [e["RepoTags"] for e in manifest] == [[dest], []], manifest


def test_docker_runs_each_platform_of_the_index(two_platform_base, registry_plain, run_build, context, docker):
    """The index as Docker reads it: `docker run --platform` pulls each
    platform's image from it and runs it (arm64 through qemu's binfmt_misc
    registration), and each says the machine its RUN step ran on."""
    ctx = context({"Dockerfile": DOCKERFILE.replace("BASE", two_platform_base), "hello.txt": "hello\n"})
    dest = registry_plain.ref("multi/docker:1")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", PLATFORMS,
                    *registry_plain.insecure_args()])
    for platform, machine in (("linux/amd64", "x86_64"), ("linux/arm64", "aarch64")):
        docker.cli(["pull", "--platform", platform, dest], timeout=180)  # the tag now names this platform's image
        res = docker.run(dest, ["sh", "-c", "uname -m; cat /machine /platform"], args=["--platform", platform],
                         timeout=180)
        assert res.stdout.split() == [machine, machine, platform], (platform, res.stdout, res.stderr)



def test_docker_loads_the_tarball(two_platform_base, registry_plain, run_build, context, outdir, docker):
    """Docker 20.10's `docker load` reads the two-platform --tar-path through its
    manifest.json, and the tag runs this machine's image."""
    tarball, dest = build_tarball(two_platform_base, registry_plain, run_build, context, outdir, "multi/loaded:1")
    docker.load(tarball)
    res = docker.run(dest, ["sh", "-c", "uname -m; cat /machine"], timeout=120)
    assert res.stdout.split() == ["x86_64", "x86_64"], (res.stdout, res.stderr)
