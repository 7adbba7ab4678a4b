"""RUN --mount (cache, secret, bind, tmpfs) and --secret, as BuildKit defines
them: the mounts exist for one RUN only and nothing they bring in reaches a
layer, the config, the history or the executor's output."""
import gzip
import hashlib
import json
import io
import secrets
import tarfile
from pathlib import Path

import kiln_e2e as k


def args(registry, dest, *extra):
    return ["--context=dir:///workspace", f"--destination={dest}", *registry.insecure_args(), *extra]


def image_blobs(ref, workdir: Path) -> dict:
    """Every blob of the image (manifest, config, layers), layers decompressed."""
    reg = k.registry_for(ref)
    Path(workdir).mkdir(parents=True, exist_ok=True)
    layout = Path(workdir) / "blobs-layout"
    k.run(["skopeo", "copy", "--quiet", *reg.skopeo_args("src-"), f"docker://{ref}", f"oci:{layout}:x"])
    out = {}
    for blob in (layout / "blobs" / "sha256").iterdir():
        data = blob.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        out[blob.name] = data
    return out


def layer_paths(blobs: dict) -> set:
    """Paths of every member of every layer (tar blobs only)."""
    names = set()
    for data in blobs.values():
        try:
            with tarfile.open(fileobj=io.BytesIO(data)) as tf:
                names.update(m.name.lstrip("./").rstrip("/") for m in tf.getmembers())
        except tarfile.TarError:
            continue  # the manifest and config are JSON
    return names


def layers_only(blobs: dict) -> dict:
    """The layer blobs (the config holds the RUN lines, markers included)."""
    out = {}
    for digest, data in blobs.items():
        try:
            with tarfile.open(fileobj=io.BytesIO(data)):
                out[digest] = data
        except tarfile.TarError:
            pass
    return out


def assert_nowhere(value: str, blobs: dict, *texts):
    needle = value.encode()
    for digest, data in blobs.items():
        assert needle not in data, f"the value leaked into blob {digest}"
    for t in texts:
        assert value not in t, "the value leaked into the executor's output"


def test_secret_from_file_and_env(registry_plain, busybox_image, context, run_build, pull_rootfs, tmp_path):
    base = busybox_image.push(registry_plain)
    file_value = "kiln-file-secret-" + secrets.token_hex(16)
    env_value = "kiln-env-secret-" + secrets.token_hex(16)
    secret_file = tmp_path / "npmrc"
    secret_file.write_text(file_value)
    ctx = context({"Dockerfile": f"""\
FROM {base}
RUN --mount=type=secret,id=filesec sha256sum /run/secrets/filesec | cut -d' ' -f1 > /file.sha && \\
    stat -c '%u %a' /run/secrets/filesec > /file.stat
RUN --mount=type=secret,id=envsec,env=TOKEN printf %s "$TOKEN" | sha256sum | cut -d' ' -f1 > /env.sha
RUN --mount=type=secret,id=envsec,target=/home/app/.token,uid=1000,mode=0440 \\
    sha256sum /home/app/.token | cut -d' ' -f1 > /target.sha && stat -c '%u %a' /home/app/.token > /target.stat
RUN --mount=type=secret,id=not-given test ! -e /run/secrets/not-given && echo skipped > /optional.txt
"""})
    dest = registry_plain.ref("mounts-secret:v1")
    res = run_build(ctx, args(registry_plain, dest, "--secret", "id=filesec,src=/secrets/npmrc",
                              "--secret=id=envsec,env=KILN_TEST_TOKEN", "--verbosity=debug"),
                    binds=[(secret_file, "/secrets/npmrc")], env={"KILN_TEST_TOKEN": env_value})
    rootfs = pull_rootfs(dest)
    sha = lambda v: hashlib.sha256(v.encode()).hexdigest() + "\n"
    assert (rootfs / "file.sha").read_text() == sha(file_value)
    assert (rootfs / "file.stat").read_text() == "0 400\n", "secret files are 0400 root by default"
    assert (rootfs / "env.sha").read_text() == sha(env_value)
    assert (rootfs / "target.sha").read_text() == sha(env_value)
    assert (rootfs / "target.stat").read_text() == "1000 440\n"
    assert (rootfs / "optional.txt").read_text() == "skipped\n"
    # No secret, no mount point stub (/run did not exist in the base).
    assert not (rootfs / "run").exists()
    assert not (rootfs / "home/app/.token").exists()
    blobs = image_blobs(dest, tmp_path)
    paths = layer_paths(blobs)
    assert not any(p == "run" or p.startswith("run/") or p.endswith(".token") for p in paths), paths
    config = k.inspect_config(dest)
    for value in (file_value, env_value):
        assert_nowhere(value, blobs, res.output, json.dumps(config))
    assert any('printf %s "$TOKEN"' in h.get("created_by", "") for h in config["history"]), config["history"]


def test_missing_required_secret_names_it(registry_plain, busybox_image, context, run_build):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN --mount=type=secret,id=deploy-key,required=true true\n"})
    dest = registry_plain.ref("mounts-secret-missing:v1")
    res = run_build(ctx, args(registry_plain, dest), expect_rc="fail")
    assert 'secret "deploy-key" is required' in res.output, res.describe()
    assert "line 2" in res.output, res.describe()
    assert not k.image_exists(dest)


def test_ssh_mount_is_refused_clearly(registry_plain, busybox_image, context, run_build):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN --mount=type=ssh true\n"})
    res = run_build(ctx, args(registry_plain, registry_plain.ref("mounts-ssh:v1")), expect_rc="fail")
    assert "type=ssh is not supported" in res.output, res.describe()


def test_cache_mount_survives_into_a_second_build(registry_plain, busybox_image, context, run_build,
                                                  pull_rootfs, tmp_path):
    base = busybox_image.push(registry_plain)
    cache = tmp_path / "host-cache"
    cache.mkdir()
    dockerfile = f"""\
FROM {base}
ARG BUILDNO
RUN --mount=type=cache,target=/var/cache/app \\
    sh -c 'cat /var/cache/app/data > /seen.txt 2>/dev/null; echo "build $BUILDNO cache-marker" >> /var/cache/app/data'
RUN --mount=type=cache,id=owned,target=/c2,uid=1000,mode=0700,sharing=locked stat -c '%u %a' /c2 > /c2.stat
"""
    seen = []
    for n in (1, 2):
        ctx = context({"Dockerfile": dockerfile})
        dest = registry_plain.ref(f"mounts-cache:b{n}")
        # Each build runs in a new sandbox; only the host cache dir is shared.
        run_build(ctx, args(registry_plain, dest, "--cache-dir=/cache", "--build-arg", f"BUILDNO={n}"),
                  binds=[(cache, "/cache")])
        rootfs = pull_rootfs(dest)
        seen.append((rootfs / "seen.txt").read_text())
        assert (rootfs / "c2.stat").read_text() == "1000 700\n", "a fresh cache dir gets uid and mode"
        assert not (rootfs / "var/cache").exists(), "the mount point stub must not be in the image"
        assert not (rootfs / "c2").exists()
        blobs = image_blobs(dest, tmp_path / f"b{n}")
        # What this build wrote into the cache is in no layer (seen.txt of
        # build 2 holds build 1's line, on purpose).
        assert_nowhere(f"build {n} cache-marker", layers_only(blobs))
        assert not any(p.startswith("var/cache") for p in layer_paths(blobs))
    assert seen == ["", "build 1 cache-marker\n"], "the second build sees what the first left in the cache"
    data = list(cache.glob("run-cache/*/data"))
    assert len(data) == 1 and data[0].read_text() == "build 1 cache-marker\nbuild 2 cache-marker\n"


def test_bind_mounts_from_context_and_stage(registry_plain, busybox_image, context, run_build, pull_rootfs):
    base = busybox_image.push(registry_plain)
    ctx = context({"src/hello.txt": "hello from the context\n", "src/private.env": "ignored-marker\n",
                   ".dockerignore": "src/private.env\n", "Dockerfile": f"""\
FROM {base} AS builder
RUN mkdir /out && echo from-stage > /out/artifact
FROM {base}
RUN --mount=target=/mnt/ctx,source=src cat /mnt/ctx/hello.txt > /ctx-copy.txt && \\
    (touch /mnt/ctx/new 2>/dev/null && echo writable || echo read-only) > /ro.txt
RUN --mount=type=bind,from=builder,source=/out,target=/mnt/stage cat /mnt/stage/artifact > /stage-copy.txt
RUN --mount=type=bind,source=src,target=/mnt/rw,rw sh -c 'echo scribble > /mnt/rw/hello.txt && cat /mnt/rw/hello.txt > /rw.txt'
RUN --mount=source=src/hello.txt,target=/etc/hello.conf cat /etc/hello.conf > /file-bind.txt
WORKDIR /work
RUN --mount=source=src,target=rel ls rel > /rel.txt
RUN --mount=target=/mnt/all ls /mnt/all > /all.txt
"""})
    dest = registry_plain.ref("mounts-bind:v1")
    run_build(ctx, args(registry_plain, dest))
    rootfs = pull_rootfs(dest)
    assert (rootfs / "ctx-copy.txt").read_text() == "hello from the context\n"
    assert (rootfs / "ro.txt").read_text() == "read-only\n", "a bind mount is read-only by default"
    assert (rootfs / "stage-copy.txt").read_text() == "from-stage\n"
    assert (rootfs / "rw.txt").read_text() == "scribble\n"
    assert (ctx / "src/hello.txt").read_text() == "hello from the context\n", "rw writes are discarded"
    assert not (ctx / "src/new").exists()
    assert (rootfs / "file-bind.txt").read_text() == "hello from the context\n"
    assert (rootfs / "rel.txt").read_text() == "hello.txt\n", \
        "a relative target is joined to WORKDIR; .dockerignore'd files are not in a context bind"
    assert (rootfs / "all.txt").read_text() == "Dockerfile\nsrc\n", "the context root, .dockerignore applied"
    for stub in ("mnt", "etc/hello.conf", "work/rel", "out"):
        assert not (rootfs / stub).exists(), f"/{stub} must not be in the image"
    assert (rootfs / "work").is_dir()


def test_tmpfs_mount(registry_plain, busybox_image, context, run_build, pull_rootfs, tmp_path):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"""\
FROM {base}
RUN --mount=type=tmpfs,target=/scratch/space,size=1m sh -c \\
    'echo tmpfs-marker > /scratch/space/x && grep " /scratch/space " /proc/mounts | cut -d" " -f3 > /fstype.txt'
"""})
    dest = registry_plain.ref("mounts-tmpfs:v1")
    run_build(ctx, args(registry_plain, dest))
    rootfs = pull_rootfs(dest)
    assert (rootfs / "fstype.txt").read_text() == "tmpfs\n"
    assert not (rootfs / "scratch").exists(), "a mount point kiln created must not be in the image"
    blobs = image_blobs(dest, tmp_path)
    assert not any(p.startswith("scratch") for p in layer_paths(blobs))
    assert_nowhere("tmpfs-marker", layers_only(blobs))


def test_proxy_build_arg_credentials_stay_out_of_image_and_logs(registry_plain, busybox_image, context, run_build,
                                                                 pull_rootfs, tmp_path):
    """A proxy build-arg reaches the RUN's environment (it is how the RUN gets
    through the proxy) but, as in Docker, never the history, the config or a
    layer, and the executor's log does not print it either."""
    base = busybox_image.push(registry_plain)
    password = "kiln-proxy-pw-" + secrets.token_hex(12)
    proxy = f"http://ci-user:{password}@127.0.0.1:9"
    ctx = context({"Dockerfile": f"""\
FROM {base}
RUN printf %s "$http_proxy" | sha256sum | cut -d' ' -f1 > /proxy.sha
RUN echo built > /built
"""})
    dest = registry_plain.ref("proxy-args:v1")
    res = run_build(ctx, args(registry_plain, dest, "--build-arg", f"http_proxy={proxy}",
                              "--build-arg", f"HTTPS_PROXY={proxy}", "--verbosity=debug"))
    rootfs = pull_rootfs(dest)
    # The RUN did see it...
    assert (rootfs / "proxy.sha").read_text() == hashlib.sha256(proxy.encode()).hexdigest() + "\n"
    # ...and nothing else did.
    config = k.inspect_config(dest)
    assert_nowhere(password, image_blobs(dest, tmp_path), res.output, json.dumps(config))
