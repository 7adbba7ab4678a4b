"""COPY --link / ADD --link: the sources are copied into an empty tree laid
out as the destination, the layer is made from that tree alone and applied
onto the stage. So the layer is the same whatever lies under the
destination: a symlink there is not followed (the layer holds the real
path), missing parents are 0755 root:root, and --chown/--chmod still apply
(user names from the stage's /etc/passwd and /etc/group).

Docker 20.10's built-in BuildKit frontend refuses `--link` ("Unknown flag:
link"; newer frontends need a `# syntax=` image, which cannot be pulled
offline), so these are checked against BuildKit's documented behaviour,
not built side by side."""
import kiln_e2e as k

# A base whose /app is a symlink to /real, whose /opt/deep is 0700, and which
# has a user of its own.
BASE_DF = """\
FROM {base}
RUN mkdir -p /real/sub /opt/deep && chmod 700 /opt/deep && ln -s /real /app \\
 && echo 'svc:x:4242:4343::/:/bin/sh' >> /etc/passwd && echo 'svcgrp:x:4343:' >> /etc/group
"""

LINK_DF = """\
FROM {base}
COPY --link a.txt /app/sub/
COPY --link --chown=1000:1001 --chmod=640 b.txt /opt/deep/x/b.txt
COPY --link --chown=svc c.txt /named/
"""


def build(run_build, ctx, ref, *extra):
    return run_build(ctx, ["--context=dir:///workspace", f"--destination={ref}", "--insecure",
                           "--reproducible", *extra])


def link_layers(ref, base_ref):
    n = len(k.inspect_manifest(base_ref)["layers"])
    return [l["digest"] for l in k.inspect_manifest(ref)["layers"][n:]]


def test_copy_link_ignores_what_lies_under_the_destination(fresh_registry, busybox_image, context, run_build,
                                                           pull_rootfs):
    plain_base = busybox_image.push(fresh_registry)
    odd_base = fresh_registry.ref("odd:1")
    build(run_build, context({"Dockerfile": BASE_DF.format(base=plain_base)}), odd_base)
    files = {"a.txt": "a\n", "b.txt": "b\n", "c.txt": "c\n"}
    on_odd = fresh_registry.ref("link:odd")
    res = build(run_build, context({"Dockerfile": LINK_DF.format(base=odd_base), **files}), on_odd)

    rootfs = pull_rootfs(on_odd)
    # /app was a symlink: --link does not follow it, the layer made /app real.
    assert (rootfs / "app").is_dir() and not (rootfs / "app").is_symlink(), res.describe()
    assert (rootfs / "app/sub/a.txt").read_text() == "a\n"
    assert not (rootfs / "real/sub/a.txt").exists()
    st = (rootfs / "app").stat()
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o755, 0, 0)
    # Missing parents 0755 root:root, also over the base's 0700 /opt/deep.
    for d in ("opt/deep", "opt/deep/x"):
        st = (rootfs / d).stat()
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o755, 0, 0), d
    st = (rootfs / "opt/deep/x/b.txt").stat()
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o640, 1000, 1001)
    # A user name is the stage's: svc is 4242 with primary group 4343.
    st = (rootfs / "named/c.txt").stat()
    assert (st.st_uid, st.st_gid) == (4242, 4343)

    # The numeric --link layers are the same on the plain base, where nothing
    # lies under the destinations (the named one needs svc there: skipped).
    on_plain = fresh_registry.ref("link:plain")
    plain_df = "\n".join(LINK_DF.format(base=plain_base).splitlines()[:3]) + "\n"
    build(run_build, context({"Dockerfile": plain_df, **files}), on_plain)
    assert link_layers(on_plain, plain_base) == link_layers(on_odd, odd_base)[:2]
