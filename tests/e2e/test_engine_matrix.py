"""The engine's file-tree matrix, checked on the pushed images (skopeo +
umoci) and on the raw layer tars: hardlinks, symlink chains, a directory
replaced by a file and a file by a symlink on top of a base pulled from the
registry, deletions as whiteouts, owners and modes from RUN and COPY,
USER/WORKDIR combinations, ARG/ENV interplay, multi-stage with --target.

Few builds, many checks each: what test_build_engine.py and
test_build_basic.py already cover is not repeated here."""
import json
import os
import stat
import subprocess
import tarfile

import kiln_e2e as k


def args(registry, dest, *extra):
    return ["--context=dir:///workspace", f"--destination={dest}", *registry.insecure_args(), *extra]


def layer_tars(ref, workdir):
    """The image's layers as (digest, {name: TarInfo}), in order, from the
    registry's bytes. Each blob must also pass `gzip -t` when gzip'ed."""
    reg = k.registry_for(ref)
    layout = workdir / "raw-layout"
    k.run(["skopeo", "copy", "--quiet", *reg.skopeo_args("src-"), f"docker://{ref}", f"oci:{layout}:x"])
    index = json.loads((layout / "index.json").read_text())
    mdigest = index["manifests"][0]["digest"]
    manifest = json.loads((layout / "blobs/sha256" / mdigest.split(":")[1]).read_text())
    out = []
    for layer in manifest["layers"]:
        blob = layout / "blobs/sha256" / layer["digest"].split(":")[1]
        if layer["mediaType"].endswith("gzip"):
            t = subprocess.run(["gzip", "-t", str(blob)], capture_output=True, text=True)
            assert t.returncode == 0, f"layer {layer['digest']} is not valid gzip: {t.stderr}"
        with tarfile.open(blob, "r:*") as tf:  # Python's own gzip reader
            out.append((layer["digest"], {m.name.rstrip("/"): m for m in tf.getmembers()}))
    return out


def owner_mode(path):
    st = os.lstat(path)
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


BASE_DOCKERFILE = """\
FROM {busybox}
RUN mkdir -p /rep/dir2file/sub /rep/keepdir /rep/opq \\
 && echo inner > /rep/dir2file/sub/f && echo plain > /rep/file2link \\
 && echo old > /rep/keepdir/old && echo gone > /rep/deleted.txt && echo lower > /rep/opq/lower
"""

# On top of BASE_DOCKERFILE's image, pulled back from the registry.
MATRIX_DOCKERFILE = """\
FROM {base}
ARG VERSION=1.0
ARG UNSET_ARG
ENV APP_VERSION=${{VERSION}}
ARG SHADOW=from-arg
ENV SHADOW=from-env
RUN echo "$APP_VERSION $VERSION $SHADOW ${{UNSET_ARG:-unset}}" > /argenv.txt
RUN rm -rf /rep/dir2file && echo now-a-file > /rep/dir2file \\
 && echo target > /rep/target && rm /rep/file2link && ln -s /rep/target /rep/file2link \\
 && rm /rep/deleted.txt \\
 && rm -rf /rep/opq && mkdir /rep/opq && echo upper > /rep/opq/upper
RUN mkdir /links && echo shared > /links/a && ln /links/a /links/b \\
 && ln -s b /links/s1 && ln -s s1 /links/s2 && ln -s /links/s2 /links/s3 \\
 && cat /links/s3 > /links/through-chain.txt
RUN mkdir -p /perm/d && echo x > /perm/owned && chown 1000:1000 /perm/owned && chmod 640 /perm/owned \\
 && chown 123:456 /perm/d && chmod 2775 /perm/d
COPY --chown=1000:1000 --chmod=0750 tooldir/ /copied/
USER 1000:1000
WORKDIR /home/app/w1
USER app
WORKDIR relative
RUN touch made-by-app && id -u > whoami.txt
USER root
WORKDIR /rootdir
"""


def test_tree_matrix_through_the_registry(registry_plain, busybox_image, context, run_build, pull_rootfs,
                                          tmp_path):
    busybox = busybox_image.push(registry_plain)
    base = registry_plain.ref("matrix-base:v1")
    run_build(context({"Dockerfile": BASE_DOCKERFILE.format(busybox=busybox)}), args(registry_plain, base))
    base_layers = len(k.inspect_manifest(base)["layers"])

    ctx = context({"Dockerfile": MATRIX_DOCKERFILE.format(base=base),
                   "tooldir/": 0o755, "tooldir/t.sh": ("#!/bin/sh\n", 0o644),
                   "tooldir/sub/": 0o755, "tooldir/sub/x": ("x\n", 0o600)})
    dest = registry_plain.ref("matrix:v1")
    run_build(ctx, args(registry_plain, dest, "--build-arg", "VERSION=2.0", "--build-arg", "SHADOW=cli"))
    rootfs = pull_rootfs(dest)

    # -- ARG/ENV: ENV of the same name wins over ARG (and --build-arg);
    #    ARGs reach RUN but not the image config --
    assert (rootfs / "argenv.txt").read_text() == "2.0 2.0 from-env unset\n"
    env = k.inspect_config(dest)["config"]["Env"]
    assert "APP_VERSION=2.0" in env and "SHADOW=from-env" in env, env
    assert not any(e.startswith(("VERSION=", "UNSET_ARG=")) for e in env), env

    # -- replacements and deletions on top of the registry's base --
    rep = rootfs / "rep"
    assert (rep / "dir2file").is_file() and not (rep / "dir2file").is_symlink()
    assert (rep / "dir2file").read_text() == "now-a-file\n"
    assert os.readlink(rep / "file2link") == "/rep/target"
    assert not (rep / "deleted.txt").exists()
    assert sorted(os.listdir(rep / "opq")) == ["upper"], "the base's contents of a re-created dir must be hidden"
    assert (rep / "keepdir/old").read_text() == "old\n"

    # -- hardlinks: one inode in the image, a link entry in the tar --
    a, b = os.lstat(rootfs / "links/a"), os.lstat(rootfs / "links/b")
    assert (a.st_ino, a.st_nlink) == (b.st_ino, 2), "two names, one inode"
    assert (rootfs / "links/b").read_text() == "shared\n"
    # -- a symlink chain, stored as written and followed during the build --
    assert [os.readlink(rootfs / f"links/s{i}") for i in (1, 2, 3)] == ["b", "s1", "/links/s2"]
    assert (rootfs / "links/through-chain.txt").read_text() == "shared\n"

    # -- owners and modes from RUN and COPY --chown/--chmod --
    assert owner_mode(rootfs / "perm/owned") == (1000, 1000, 0o640)
    assert owner_mode(rootfs / "perm/d") == (123, 456, 0o2775)
    assert owner_mode(rootfs / "copied/t.sh") == (1000, 1000, 0o750)
    assert owner_mode(rootfs / "copied/sub") == (1000, 1000, 0o750)
    assert owner_mode(rootfs / "copied/sub/x") == (1000, 1000, 0o750)

    # -- USER/WORKDIR: a WORKDIR is created owned by the USER of the moment,
    #    numeric or named; a relative WORKDIR builds on the previous one --
    assert owner_mode(rootfs / "home/app/w1")[:2] == (1000, 1000)
    rel = rootfs / "home/app/w1/relative"
    assert owner_mode(rel)[:2] == (1000, 1000)
    assert owner_mode(rel / "made-by-app")[:2] == (1000, 1000)
    assert (rel / "whoami.txt").read_text() == "1000\n"
    assert owner_mode(rootfs / "rootdir")[:2] == (0, 0)
    cfg = k.inspect_config(dest)["config"]
    assert cfg["WorkingDir"] == "/rootdir" and cfg["User"] == "root"

    # -- the raw layers: base layers reused as they are; whiteouts and
    #    opaque markers, hard links as link entries --
    layers = layer_tars(dest, tmp_path)
    assert [d for d, _ in layers[:base_layers]] == [l["digest"] for l in k.inspect_manifest(base)["layers"]]
    new = [entries for _, entries in layers[base_layers:]]
    merged = {}
    for entries in new:
        merged.update(entries)
    assert "rep/.wh.deleted.txt" in merged, sorted(merged)
    assert "rep/opq/.wh..wh..opq" in merged or "rep/opq/.wh.lower" in merged, sorted(merged)
    d2f = merged["rep/dir2file"]
    assert d2f.isreg(), "a directory replaced by a file is stored as the file"
    assert not any(n.startswith("rep/dir2file/") for n in merged), "nothing below the replaced directory"
    f2l = merged["rep/file2link"]
    assert f2l.issym() and f2l.linkname == "/rep/target"
    la, lb = merged["links/a"], merged["links/b"]
    assert la.isreg() and lb.islnk() and lb.linkname == "links/a", (la.type, lb.type, lb.linkname)
    assert merged["links/s1"].issym() and merged["links/s1"].linkname == "b"
    # no layer carries files it did not change
    assert "rep/keepdir/old" not in merged and "bin/busybox" not in merged


MULTI_STAGE = """\
ARG GLOBAL=g
ARG BASE={busybox}
FROM $BASE AS one
RUN echo "${{GLOBAL:-none}}" > /before.txt
ARG GLOBAL
RUN echo "$GLOBAL" > /after.txt
FROM one AS two
RUN echo two > /two.txt && ls /before.txt /after.txt > /inherited.txt
FROM {busybox} AS three
COPY --from=two /two.txt /from-two.txt
RUN echo three > /three.txt
"""


def test_multi_stage_target_and_global_args(registry_plain, busybox_image, context, run_build, pull_rootfs):
    busybox = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": MULTI_STAGE.format(busybox=busybox)})
    dest = registry_plain.ref("matrix-stages:two")
    res = run_build(ctx, args(registry_plain, dest, "--target=two", "--build-arg", "GLOBAL=cli"))
    rootfs = pull_rootfs(dest)
    # A global ARG is visible in FROM; inside a stage only once declared again.
    assert (rootfs / "before.txt").read_text() == "none\n"
    assert (rootfs / "after.txt").read_text() == "cli\n"
    # --target=two: stage two on top of stage one, and nothing of stage three.
    assert (rootfs / "two.txt").read_text() == "two\n"
    assert (rootfs / "inherited.txt").read_text() == "/after.txt\n/before.txt\n"
    assert not (rootfs / "three.txt").exists() and not (rootfs / "from-two.txt").exists()
    assert "echo three" not in res.output, "a stage after --target must not run"


def test_streamed_base_with_bad_digest_fails_and_is_wiped(fresh_registry, registry_plain, context, run_build,
                                                         tmp_path):
    """Base layers are unpacked while they download, so a tampered layer
    (same size, valid gzip and tar) is on disk before its digest is known:
    the build must still fail naming the layer, and --cleanup must leave
    nothing of it in the root."""
    base, digest, _ = k.push_tampered_image(fresh_registry, tmp_path)
    root = tmp_path / "root"
    ctx = context({"Dockerfile": f"FROM {base}\nRUN cat /victim.txt\n"})
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={registry_plain.ref('streamed:v1')}",
                          "--insecure", "--insecure-pull", "--cleanup"], root=root, expect_rc="fail")
    assert digest in res.output and "digest mismatch" in res.output, res.describe()
    assert "BBBB" not in res.output, "no step may run on a layer that failed its digest check"
    assert not (root / "victim.txt").exists(), "the failed layer's files must be wiped"


def test_streamed_base_layers_are_uploaded_to_another_registry(registry_plain, fresh_registry, busybox_image,
                                                               context, run_build, pull_rootfs, outdir):
    """Base layers are not kept on disk after unpacking; a destination that
    can neither find nor mount them (another registry), and a tarball, still
    get their exact bytes."""
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN echo on-top > /on-top.txt\n"})
    dest = fresh_registry.ref("elsewhere:v1")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", "--tar-path=/output/image.tar",
                    *registry_plain.insecure_args(), *fresh_registry.insecure_args()],
              binds=[(outdir, "/output")])
    base_layers = [l["digest"] for l in k.inspect_manifest(base)["layers"]]
    assert [l["digest"] for l in k.inspect_manifest(dest)["layers"]][:len(base_layers)] == base_layers
    rootfs = pull_rootfs(dest)
    assert (rootfs / "etc/kiln-base-release").read_text() == k.BASE_MARKER
    assert (rootfs / "on-top.txt").read_text() == "on-top\n"
    with tarfile.open(outdir / "image.tar") as tf:
        names = tf.getnames()
    assert all(any(d.split(":")[1] in n for n in names) for d in base_layers), names
