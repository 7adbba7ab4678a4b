"""RUN --mount where no mount namespace can be made (issue 16): the executor
runs in the sandbox with Docker's default capabilities only (`sandbox.sh
--docker-caps`: no CAP_SYS_ADMIN, as `docker run` without flags gives), so
its probe fails and every mount is given by file operations in the root. The
RUN sees what a mount would show; nothing of a mount reaches a layer, the
log, or the root after the build, also when the RUN fails, is killed, or the
executor is interrupted or killed."""
import hashlib
import os
import secrets
import signal
import subprocess
from pathlib import Path

import kiln_e2e as k
from test_interrupt import Reader, cmdline, descendants, reap
from test_run_mounts import args, assert_nowhere, image_blobs, layer_paths, layers_only

FALLBACK_LOG = "RUN --mount by file operations in the root"


def grep_tree(top: Path, needle: bytes):
    """Files below top (no mounts crossed) whose bytes hold needle."""
    hits = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if not os.path.ismount(os.path.join(dirpath, d))]
        for name in filenames:
            p = Path(dirpath) / name
            try:
                if not p.is_symlink() and p.is_file() and needle in p.read_bytes():
                    hits.append(str(p))
            except OSError:
                pass
    return hits


def signal_during_run(argv, signo, during=None):
    """Runs the sandbox until its RUN prints kiln-run-started-42 (computed by
    the RUN, so the logged command line does not match), calls during(),
    sends signo to the executor; returns (exit code, output)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                         start_new_session=True)
    out = Reader(p.stdout)
    try:
        assert out.wait_for("kiln-run-started-42", 90), "the RUN never started:\n" + out.text[-4000:]
        if during:
            during()
        execs = [d for d in descendants(p.pid) if cmdline(d)[:1] == [b"/kaniko/executor"]]
        assert len(execs) == 1, execs
        os.kill(execs[0], signo)
        rc = p.wait(timeout=60)
    finally:
        reap(p, out)
    return rc, out.text


def test_every_mount_type_by_file_operations(registry_plain, busybox_image, context, run_build, pull_rootfs,
                                             tmp_path):
    base = busybox_image.push(registry_plain)
    cache = tmp_path / "host-cache"
    cache.mkdir()
    secret_value = "kiln-unpriv-secret-" + secrets.token_hex(16)
    secret_file = tmp_path / "token"
    secret_file.write_text(secret_value)
    dockerfile = f"""\
FROM {base} AS builder
RUN mkdir /out && echo from-stage > /out/artifact
FROM {base}
ARG BUILDNO
RUN mkdir -p /shadow && echo from-the-image > /shadow/f
RUN --mount=type=cache,target=/var/cache/app,uid=1000,mode=0750 \\
    sh -c 'cat /var/cache/app/data > /seen.txt 2>/dev/null; echo "build $BUILDNO cache-marker" >> /var/cache/app/data; \\
           stat -c "%u %a" /var/cache/app > /cache.stat'
RUN --mount=type=cache,id=sh,target=/shadow ls -A /shadow > /shadow-in-run.txt && echo cache-note > /shadow/note
RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -d' ' -f1 > /secret.sha && \\
    stat -c '%u %a' /run/secrets/tok > /secret.stat
RUN --mount=type=secret,id=tok,target=/home/app/.token,uid=1000,mode=0440 stat -c '%u %a' /home/app/.token > /t.stat
RUN --mount=type=secret,id=tok,env=TOKEN printf %s "$TOKEN" | sha256sum | cut -d' ' -f1 > /env.sha
RUN --mount=target=/mnt/ctx,source=src,rw cat /mnt/ctx/hello.txt > /ctx-copy.txt && \\
    echo scribble > /mnt/ctx/hello.txt && ls /mnt/ctx > /ctx-ls.txt
RUN --mount=type=bind,from=builder,source=/out,target=/mnt/stage,rw cat /mnt/stage/artifact > /stage-copy.txt && \\
    rm /mnt/stage/artifact
RUN --mount=source=src/hello.txt,target=/etc/hello.conf cat /etc/hello.conf > /file-bind.txt
RUN --mount=type=tmpfs,target=/shadow sh -c 'ls -A /shadow > /tmpfs-in-run.txt; echo gone > /shadow/x; \\
    stat -c %a /shadow > /tmpfs.stat'
RUN cat /shadow/f > /shadow-after.txt
"""
    seen = []
    for n in (1, 2):
        ctx = context({"Dockerfile": dockerfile, "src/hello.txt": "hello from the context\n",
                       "src/private.env": "ignored-marker\n", ".dockerignore": "src/private.env\n"})
        dest = registry_plain.ref(f"unpriv-mounts:b{n}")
        res = run_build(ctx, args(registry_plain, dest, "--cache-dir=/cache", "--build-arg", f"BUILDNO={n}",
                                  "--secret", "id=tok,src=/secrets/token", "--verbosity=debug"),
                        binds=[(cache, "/cache"), (secret_file, "/secrets/token")], docker_caps=True)
        assert "unshare(CLONE_NEWNS): Operation not permitted" in res.output, res.describe()
        assert FALLBACK_LOG in res.output, res.describe()
        assert "RUN --mount by mount namespace" not in res.output
        rootfs = pull_rootfs(dest)
        seen.append((rootfs / "seen.txt").read_text())
        sha = hashlib.sha256(secret_value.encode()).hexdigest() + "\n"
        assert (rootfs / "cache.stat").read_text() == "1000 750\n"
        assert (rootfs / "shadow-in-run.txt").read_text() == ("" if n == 1 else "note\n"), \
            "the cache shadows what the image has at its target"
        assert (rootfs / "secret.sha").read_text() == sha
        assert (rootfs / "secret.stat").read_text() == "0 400\n"
        assert (rootfs / "t.stat").read_text() == "1000 440\n"
        assert (rootfs / "env.sha").read_text() == sha
        assert (rootfs / "ctx-copy.txt").read_text() == "hello from the context\n"
        assert (rootfs / "ctx-ls.txt").read_text() == "hello.txt\n", ".dockerignore applies to a context bind"
        assert (ctx / "src/hello.txt").read_text() == "hello from the context\n", "the context is never written"
        assert (rootfs / "stage-copy.txt").read_text() == "from-stage\n"
        assert (rootfs / "file-bind.txt").read_text() == "hello from the context\n"
        assert (rootfs / "tmpfs-in-run.txt").read_text() == "", "a tmpfs starts empty"
        assert (rootfs / "tmpfs.stat").read_text() == "1777\n"
        assert (rootfs / "shadow-after.txt").read_text() == "from-the-image\n", "shadowed content is put back"
        assert sorted(os.listdir(rootfs / "shadow")) == ["f"], "nothing a mount held stays at its target"
        for stub in ("var/cache", "run", "home/app/.token", "mnt", "etc/hello.conf", "out"):
            assert not (rootfs / stub).exists(), f"/{stub} must not be in the image"
        blobs = image_blobs(dest, tmp_path / f"b{n}")
        paths = layer_paths(blobs)
        assert not any(p.startswith(("var/cache", "run/", "mnt")) or p == "run" for p in paths), paths
        assert not any(p.startswith("shadow/") and p != "shadow/f" for p in paths), paths
        layers = layers_only(blobs)
        assert_nowhere(f"build {n} cache-marker", layers)
        assert_nowhere("cache-note", layers)
        assert_nowhere("scribble", layers)
        assert_nowhere(secret_value, blobs, res.output, str(k.inspect_config(dest)))
    assert seen == ["", "build 1 cache-marker\n"], "the cache persists across builds through the volume"
    data = list(cache.glob("run-cache/*/data"))
    assert len(data) == 1 and data[0].read_text() == "build 1 cache-marker\nbuild 2 cache-marker\n"
    assert not list(cache.glob("run-cache/*.kiln-*")), "no half-copied cache left"


def test_secret_leaves_no_trace_on_failure_or_killed_run(registry_plain, busybox_image, context, run_build,
                                                        tmp_path):
    """A failing RUN and a RUN that SIGKILLs its own process group: the build
    fails, and the secret is in no file of the root (the work directory
    included) and not in the log."""
    base = busybox_image.push(registry_plain)
    secret_value = "kiln-fail-secret-" + secrets.token_hex(16)
    secret_file = tmp_path / "token"
    secret_file.write_text(secret_value)
    for name, run in (("fails", "cat /run/secrets/tok > /dev/null; exit 3"),
                      ("killed", "cat /run/secrets/tok > /dev/null; kill -9 0")):
        ctx = context({"Dockerfile": f"FROM {base}\nRUN --mount=type=secret,id=tok {run}\n"})
        root = tmp_path / f"root-{name}"
        res = run_build(ctx, args(registry_plain, registry_plain.ref(f"unpriv-fail:{name}"),
                                  "--secret", "id=tok,src=/secrets/token", "--verbosity=debug"),
                        binds=[(secret_file, "/secrets/token")], root=root, docker_caps=True, expect_rc="fail")
        assert FALLBACK_LOG in res.output, res.describe()
        assert secret_value not in res.output
        assert not (root / "run/secrets/tok").exists(), name
        assert grep_tree(root, secret_value.encode()) == [], name


def test_interrupted_executor_restores_the_root(executor, registry_plain, busybox_image, context, tmp_path):
    """SIGTERM to the executor while the RUN has a cache, a secret and a
    shadowed directory in place: all put back before it exits."""
    base = busybox_image.push(registry_plain)
    secret_value = "kiln-term-secret-" + secrets.token_hex(16)
    (tmp_path / "token").write_text(secret_value)
    cache = tmp_path / "host-cache"
    cache.mkdir()
    ctx = context({"Dockerfile": f"""\
FROM {base}
RUN mkdir /shadow && echo from-the-image > /shadow/f
RUN --mount=type=secret,id=tok --mount=type=cache,target=/shadow \\
    sh -c 'echo in-cache > /shadow/c; echo kiln-run-started-$((40+2)); exec sleep 999'
"""})
    root = tmp_path / "root"
    argv = k.sandbox_argv(executor=executor, context=ctx, root=root, docker_caps=True,
                          binds=[(cache, "/cache"), (tmp_path / "token", "/secrets/token")],
                          args=[*args(registry_plain, registry_plain.ref("unpriv-term:v1")), "--cache-dir=/cache",
                                "--secret", "id=tok,src=/secrets/token"])
    def secret_in_place():
        assert (root / "run/secrets/tok").read_text() == secret_value, "the secret is in place during the RUN"

    rc, log = signal_during_run(argv, signal.SIGTERM, secret_in_place)
    assert rc == 128 + signal.SIGTERM, log[-4000:]
    assert (root / "shadow/f").read_text() == "from-the-image\n"
    assert sorted(os.listdir(root / "shadow")) == ["f"]
    assert not (root / "run").exists()
    assert [p.read_text() for p in cache.glob("run-cache/*/c")] == ["in-cache\n"], "the cache went back to its volume"
    assert grep_tree(root, secret_value.encode()) == []
    assert secret_value not in log


def test_killed_executor_is_put_right_by_the_next_build(executor, registry_plain, busybox_image, context,
                                                        run_build, tmp_path):
    """SIGKILL of the executor itself (nothing of it runs after): the secret,
    the cache and the set-aside directory stay where they were, journalled;
    the next build in the same container replays the journal first."""
    base = busybox_image.push(registry_plain)
    secret_value = "kiln-kill-secret-" + secrets.token_hex(16)
    (tmp_path / "token").write_text(secret_value)
    ctx = context({"Dockerfile": f"""\
FROM {base}
RUN mkdir /shadow && echo from-the-image > /shadow/f
RUN --mount=type=secret,id=tok --mount=type=tmpfs,target=/shadow sh -c 'echo kiln-run-started-$((40+2)); exec sleep 999'
"""})
    root = tmp_path / "root"
    binds = [(tmp_path / "token", "/secrets/token")]
    # The executor is PID 1 of the sandbox: its death ends every process in it.
    argv = k.sandbox_argv(executor=executor, context=ctx, root=root, docker_caps=True, binds=binds,
                          args=[*args(registry_plain, registry_plain.ref("unpriv-kill:v1")),
                                "--secret", "id=tok,src=/secrets/token"])
    signal_during_run(argv, signal.SIGKILL)
    assert (root / "run/secrets/tok").exists(), "SIGKILL leaves the secret until the next start"
    assert not (root / "shadow/f").exists()
    ctx2 = context({"Dockerfile": f"FROM {base}\nRUN true\n"})
    res = run_build(ctx2, ["--context=dir:///workspace", "--no-push"], root=root, docker_caps=True, binds=binds)
    assert "killed during a RUN left changes in the root; undoing them" in res.output, res.describe()
    assert (root / "shadow/f").read_text() == "from-the-image\n", "the set-aside directory is back"
    assert not (root / "run").exists()
    assert grep_tree(root, secret_value.encode()) == []


def test_read_only_bind_and_tmpfs_size_are_checked_after_the_run(registry_plain, busybox_image, context, run_build,
                                                                 tmp_path):
    """Without a mount namespace a write to a read-only bind cannot be refused
    (root ignores file modes; no CAP_LINUX_IMMUTABLE) and a tmpfs size= cannot
    stop a write: kiln compares the bind's copy and measures the tmpfs
    directory after the command and fails the step naming the mount. Reading,
    and writing within the limits, build as before."""
    base = busybox_image.push(registry_plain)
    files = {"src/hello.txt": "hello from the context\n"}
    ok = context({**files, "Dockerfile": f"""\
FROM {base}
RUN --mount=source=src,target=/mnt/ctx cat /mnt/ctx/hello.txt > /read.txt && ls -la /mnt/ctx > /dev/null
RUN --mount=type=tmpfs,target=/t,size=64k dd if=/dev/zero of=/t/fits bs=1024 count=60 2>/dev/null && echo fits > /fits.txt
"""})
    dest = registry_plain.ref("unpriv-promises:ok")
    res = run_build(ok, args(registry_plain, dest), docker_caps=True)
    assert FALLBACK_LOG in res.output, res.describe()
    rootfs = k.pull_rootfs(dest, tmp_path / "ok")
    assert (rootfs / "read.txt").read_text() == "hello from the context\n"
    assert (rootfs / "fits.txt").read_text() == "fits\n"

    cases = {
        "ro-write": ("RUN --mount=source=src,target=/mnt/ctx sh -c 'echo scribble >> /mnt/ctx/hello.txt'",
                     "line 2: RUN --mount=source=src,target=/mnt/ctx: the command wrote to a read-only bind "
                     "(/mnt/ctx/hello.txt changed)"),
        "ro-create": ("RUN --mount=type=bind,source=src,target=/mnt/ctx touch /mnt/ctx/new",
                      "the command wrote to a read-only bind (/mnt/ctx/new created)"),
        "tmpfs-full": ("RUN --mount=type=tmpfs,target=/t,size=64k "
                       "dd if=/dev/zero of=/t/big bs=1024 count=100 2>/dev/null",
                       "line 2: RUN --mount=type=tmpfs,target=/t,size=64k: the command left 102400 bytes in /t, "
                       "more than the tmpfs's size=65536"),
    }
    for name, (run, message) in cases.items():
        ctx = context({**files, "Dockerfile": f"FROM {base}\n{run}\n"})
        res = run_build(ctx, args(registry_plain, registry_plain.ref(f"unpriv-promises:{name}")), docker_caps=True,
                        expect_rc=1)
        assert message in res.output, res.describe()
        assert (ctx / "src/hello.txt").read_text() == "hello from the context\n", "the context is never written"


def test_network_none_without_a_network_namespace_is_an_error(registry_plain, busybox_image, context, run_build):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN --network=none echo ran-with-network-$((40+2))\n"})
    res = run_build(ctx, args(registry_plain, registry_plain.ref("unpriv-net:v1")), docker_caps=True,
                    expect_rc="fail")
    assert "RUN --network=none needs a network namespace of its own, which needs CAP_SYS_ADMIN" in res.output, \
        res.describe()
    assert "Operation not permitted" in res.output
    assert "ran-with-network-42" not in res.output, "the command never ran"


def test_cache_of_10000_files_figures(registry_plain, busybox_image, context, run_build, tmp_path):
    """Prints what a cache of 10,000 files adds to a RUN without a mount
    namespace (the executor's own timer around putting the mounts in place
    and undoing them): renamed when the cache dir is on the root's
    filesystem, copied in and back when it is a volume. Checks only that the
    RUN saw the whole cache; the figures go to README."""
    import re
    base = busybox_image.push(registry_plain)
    dockerfile = f"""\
FROM {base}
RUN --mount=type=cache,id=big,target=/big sh -c 'cd /big && seq 1 10000 | sed s/^/f/ | xargs touch'
RUN --mount=type=cache,id=big,target=/big ls /big | wc -l > /count.txt
"""
    volume = tmp_path / "volume"
    volume.mkdir()
    for where, cache_dir, binds in (("on the root's filesystem (rename)", "/kaniko/run-cache-test", []),
                                    ("on a volume (copy in and back)", "/cache", [(volume, "/cache")])):
        ctx = context({"Dockerfile": dockerfile})
        dest = registry_plain.ref("unpriv-10k:v1")
        res = run_build(ctx, args(registry_plain, dest, f"--cache-dir={cache_dir}", "--verbosity=debug"),
                        binds=binds, docker_caps=True)
        times = re.findall(r"RUN --mount: in place in ([\d.]+) ms, undone in ([\d.]+) ms", res.output)
        assert len(times) == 2, res.describe()
        put, undone = times[1]
        print(f"\n10,000-file cache {where}: in place {put} ms, undone {undone} ms, "
              f"total {float(put) + float(undone):.1f} ms")
        rootfs = k.pull_rootfs(dest, tmp_path / f"pull-{len(binds)}")
        assert (rootfs / "count.txt").read_text().strip() == "10000"


def test_dryrun_says_how_mounts_would_be_given(registry_plain, busybox_image, context, run_build):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN --mount=type=cache,target=/c echo cache-run\n"
                                 "RUN --mount=type=secret,id=s,env=S echo env-run\n"})
    for caps, expect in ((True, "RUN --mount by file operations in the root: no mount namespace here"),
                         (False, "RUN --mount by mount namespace")):
        res = run_build(ctx, args(registry_plain, registry_plain.ref("unpriv-dry:v1"), "--dryrun"), docker_caps=caps)
        line = [l for l in res.output.splitlines() if "echo cache-run" in l]
        assert len(line) == 1 and expect in line[0], res.describe()
        env_only = [l for l in res.output.splitlines() if "echo env-run" in l]
        assert len(env_only) == 1 and "RUN --mount by" not in env_only[0], "an env= secret needs no mount"
