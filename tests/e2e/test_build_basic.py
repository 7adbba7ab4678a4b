"""Basic builds: COPY semantics, image config, history, media types, tags."""
import os
import stat

import kiln_e2e as k

# The context for the main build. Every file is owned by uid/gid 1234 on the
# host; COPY without --chown must still give 0:0 (Docker semantics).
CONTEXT_FILES = {
    "hello.txt": ("hello kiln\n", 0o644),
    "script.sh": ("#!/bin/sh\necho script\n", 0o755),
    "dir/": 0o755,
    "dir/a.txt": ("a\n", 0o644),
    "dir/sub/": 0o750,
    "dir/sub/b.txt": ("secret b\n", 0o600),
    "dir/.hidden": ("hidden\n", 0o644),
}

DOCKERFILE = """\
FROM {base}
ENV GREETING=hello APP_HOME=/opt/app
WORKDIR $APP_HOME
COPY hello.txt script.sh ./
COPY dir /opt/app/data/
LABEL org.example.title="kiln e2e" version=1
USER app
EXPOSE 8080 9090/udp
ENTRYPOINT ["/opt/app/script.sh"]
CMD ["--help"]
"""
INSTRUCTIONS = ["ENV", "WORKDIR", "COPY", "COPY", "LABEL", "USER", "EXPOSE", "ENTRYPOINT", "CMD"]
METADATA_ONLY = {"ENV", "LABEL", "USER", "EXPOSE", "ENTRYPOINT", "CMD"}

MEDIA_TYPES = {
    "oci": (k.OCI_MANIFEST, k.OCI_CONFIG, "application/vnd.oci.image.layer.v1.tar"),
    "docker": (k.DOCKER_MANIFEST, k.DOCKER_CONFIG, "application/vnd.docker.image.rootfs.diff.tar"),
}


def owner_mode(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


def test_full_dockerfile(registry_plain, busybox_image, base_flavour, context, run_build, pull_rootfs):
    base = busybox_image.push(registry_plain, base_flavour)
    ctx = context({**CONTEXT_FILES, "Dockerfile": DOCKERFILE.format(base=base)})
    dest = registry_plain.ref(f"basic-{base_flavour}:v1")
    run_build(ctx, ["--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace",
                    f"--destination={dest}", *registry_plain.insecure_args()])

    manifest = k.inspect_manifest(dest)
    config = k.inspect_config(dest)
    base_manifest = k.inspect_manifest(base)
    base_config = k.inspect_config(base)

    # -- media types follow the base image --
    want_manifest, want_config, want_layer = MEDIA_TYPES[base_flavour]
    assert manifest["mediaType"] == want_manifest
    assert manifest["config"]["mediaType"] == want_config
    for layer in manifest["layers"]:
        assert layer["mediaType"].startswith(want_layer), layer

    # -- layers: the base's come first, unchanged; one diff_id per layer --
    assert len(config["rootfs"]["diff_ids"]) == len(manifest["layers"])
    assert [l["digest"] for l in manifest["layers"][:2]] == [l["digest"] for l in base_manifest["layers"]]
    assert config["rootfs"]["diff_ids"][:2] == base_config["rootfs"]["diff_ids"]
    assert len(manifest["layers"]) >= 4, "two COPY layers on top of the two base layers"

    # -- history: the base's entries, then one per instruction, in order --
    # (Docker's rule, asked of kiln: kaniko itself records only the
    # instructions that produced a layer and drops the metadata-only ones.)
    history = config["history"]
    assert history[:3] == base_config["history"]
    new = history[3:]
    assert len(new) == len(INSTRUCTIONS), [h.get("created_by") for h in new]
    for h, instr in zip(new, INSTRUCTIONS):
        assert instr.lower() in h.get("created_by", "").lower(), (instr, h)
        if instr in METADATA_ONLY:
            assert h.get("empty_layer") is True, (instr, h)
        if instr == "COPY":
            assert not h.get("empty_layer", False), (instr, h)
    assert sum(1 for h in history if not h.get("empty_layer")) == len(manifest["layers"])

    # -- config --
    c = config["config"]
    assert c["Env"] == [k.BASE_PATH_ENV, "GREETING=hello", "APP_HOME=/opt/app"]
    assert c["WorkingDir"] == "/opt/app"
    assert c["Labels"] == {"org.example.title": "kiln e2e", "version": "1"}
    assert c["User"] == "app"
    assert c["ExposedPorts"] == {"8080/tcp": {}, "9090/udp": {}}
    assert c["Entrypoint"] == ["/opt/app/script.sh"]
    assert c["Cmd"] == ["--help"]
    assert config["os"] == "linux" and config["architecture"] == k.host_arch()

    # -- files --
    rootfs = pull_rootfs(dest)
    app = rootfs / "opt/app"
    assert (app / "hello.txt").read_text() == "hello kiln\n"
    assert owner_mode(app / "hello.txt") == (0, 0, 0o644)
    assert owner_mode(app / "script.sh") == (0, 0, 0o755)
    # COPY of a directory copies its contents, not the directory itself
    data = app / "data"
    assert not (data / "dir").exists()
    assert sorted(os.listdir(data)) == [".hidden", "a.txt", "sub"]
    assert (data / "a.txt").read_text() == "a\n"
    assert (data / ".hidden").read_text() == "hidden\n"
    assert (data / "sub/b.txt").read_text() == "secret b\n"
    assert owner_mode(data / "sub/b.txt") == (0, 0, 0o600)
    assert owner_mode(data / "sub") == (0, 0, 0o750)
    assert owner_mode(data / "a.txt") == (0, 0, 0o644)
    for p in [app, data]:
        uid, gid, _ = owner_mode(p)
        assert (uid, gid) == (0, 0), p
    # the base is intact below the new files
    assert (rootfs / "etc/kiln-base-release").read_text() == k.BASE_MARKER
    assert os.readlink(rootfs / "bin/sh") == "busybox"
    # nothing of the sandbox leaked into the image
    for leaked in ["kaniko", "workspace", "busybox", ".dockerenv", "etc/resolv.conf", "etc/hosts",
                   "etc/hostname", "proc/1", "sys/kernel", "dev/null"]:
        assert not (rootfs / leaked).exists(), leaked
    assert not (rootfs / "Dockerfile").exists()


def test_from_scratch_copy(registry_plain, context, run_build, pull_rootfs):
    ctx = context({"Dockerfile": "FROM scratch\nCOPY hello.txt /hello.txt\n",
                   "hello.txt": ("scratch\n", 0o640)})
    dest = registry_plain.ref("scratch-copy:latest")
    run_build(ctx, ["--dockerfile=Dockerfile", "--context=dir:///workspace",
                    f"--destination={dest}", *registry_plain.insecure_args()])
    manifest = k.inspect_manifest(dest)
    config = k.inspect_config(dest)
    assert len(manifest["layers"]) == 1
    assert len(config["rootfs"]["diff_ids"]) == 1
    assert config["rootfs"]["type"] == "layers"
    rootfs = pull_rootfs(dest)
    assert os.listdir(rootfs) == ["hello.txt"], "only the COPYed file, nothing of the sandbox"
    assert (rootfs / "hello.txt").read_text() == "scratch\n"
    assert owner_mode(rootfs / "hello.txt") == (0, 0, 0o640)


def test_default_dockerfile_and_context(registry_plain, context, run_build, pull_rootfs):
    """kaniko's defaults: --context /workspace/, --dockerfile Dockerfile (in the context)."""
    ctx = context({"Dockerfile": "FROM scratch\nCOPY f /f\n", "f": "defaults\n"})
    dest = registry_plain.ref("defaults:latest")
    run_build(ctx, [f"--destination={dest}", *registry_plain.insecure_args()])
    assert (pull_rootfs(dest) / "f").read_text() == "defaults\n"


def test_several_destinations_share_one_digest(registry_plain, busybox_image, context, run_build):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nCOPY f /f\n", "f": "multi\n"})
    dests = [registry_plain.ref("multi:one"), registry_plain.ref("multi:two"),
             registry_plain.ref("multi-other:three")]
    run_build(ctx, ["--context=dir:///workspace", *[f"--destination={d}" for d in dests],
                    *registry_plain.insecure_args()])
    digests = {d: k.image_digest(d) for d in dests}
    assert len(set(digests.values())) == 1, digests


def test_sequential_builds_in_one_root(registry_plain, busybox_image, context, run_build,
                                       pull_rootfs, tmp_path):
    """Drone style: two builds, one container (--cleanup), separate results."""
    base = busybox_image.push(registry_plain)
    root = tmp_path / "shared-root"
    first = context({"Dockerfile": f"FROM {base}\nCOPY first.txt /first.txt\n", "first.txt": "1\n"})
    second = context({"Dockerfile": f"FROM {base}\nCOPY second.txt /second.txt\n", "second.txt": "2\n"})
    d1, d2 = registry_plain.ref("seq:first"), registry_plain.ref("seq:second")
    for ctx, dest in [(first, d1), (second, d2)]:
        run_build(ctx, ["--cleanup", "--context=dir:///workspace", f"--destination={dest}",
                        *registry_plain.insecure_args()], root=root)
    r2 = pull_rootfs(d2)
    assert (r2 / "second.txt").read_text() == "2\n"
    assert not (r2 / "first.txt").exists(), "the first build leaked into the second"
    assert (pull_rootfs(d1) / "first.txt").read_text() == "1\n"
    assert (root / "kaniko/executor").is_file(), "--cleanup must leave /kaniko alone"


def test_entrypoint_resets_inherited_cmd(registry_plain, busybox_image, context, run_build):
    """ENTRYPOINT without CMD in the stage clears the base's Cmd (Docker; kaniko's reviewConfig)."""
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f'FROM {base}\nENTRYPOINT ["/bin/echo", "hi"]\n'})
    dest = registry_plain.ref("entrypoint-only:v1")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}",
                    *registry_plain.insecure_args()])
    c = k.inspect_config(dest)["config"]
    assert c["Entrypoint"] == ["/bin/echo", "hi"]
    assert not c.get("Cmd"), c
    assert c["Env"] == [k.BASE_PATH_ENV]
