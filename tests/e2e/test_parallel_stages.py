"""Independent stages built side by side (--jobs): each in a root of its own
with its own /proc, the target in the container's root; a failing stage
stops the others; --jobs=1 keeps kaniko's one-after-another order; under
Docker's default capabilities stages with RUN stay in line."""
import time

import kiln_e2e as k


def args(registry, dest, *extra):
    return ["--context=dir:///workspace", f"--destination={dest}", *registry.insecure_args(), *extra]


# Two stages that can only both succeed when they run at the same time: each
# leaves a mark in a shared cache mount and waits (up to `wait` seconds) for
# the other's. One after another, the first gives up.
def rendezvous(base, wait):
    tries = wait * 10
    stage = """\
FROM {base} AS {me}
RUN --mount=type=cache,id=rendezvous,target=/sync \\
    touch /sync/{me} && i=0; while [ ! -e /sync/{other} ]; do i=$((i+1)); [ $i -gt {tries} ] && exit 7; sleep 0.1; done; \\
    mkdir -p /out && echo {me} > /out/{me} && cat /proc/self/stat > /out/proc-seen && pwd > /out/pwd
"""
    return (stage.format(base=base, me="one", other="two", tries=tries) +
            stage.format(base=base, me="two", other="one", tries=tries) +
            f"FROM {base}\nCOPY --from=one /out/one /out/one\nCOPY --from=two /out/two /out/two\n"
            "COPY --from=one /out/proc-seen /out/proc-seen\nCOPY --from=one /out/pwd /out/pwd\n")


def test_independent_stages_run_at_the_same_time(registry_plain, busybox_image, context, run_build, pull_rootfs):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": rendezvous(base, 60)})
    dest = registry_plain.ref("parallel:both")
    res = run_build(ctx, args(registry_plain, dest, "--jobs=4"))
    rootfs = pull_rootfs(dest)
    assert (rootfs / "out/one").read_text() == "one\n"
    assert (rootfs / "out/two").read_text() == "two\n"
    # The side stage's RUN had a /proc of its own root.
    assert (rootfs / "out/proc-seen").read_text().strip()
    # ...and ran in its working directory inside that root, not the host path.
    assert (rootfs / "out/pwd").read_text() == "/\n"
    # Each line of a side stage says which stage it is.
    assert "[stage 0 (one)] " in res.output and "[stage 1 (two)] " in res.output
    # The target got only what it copied (no file of a side stage in its root).
    assert sorted(p.name for p in (rootfs / "out").iterdir()) == ["one", "proc-seen", "pwd", "two"]


def test_jobs_one_builds_one_after_another(registry_plain, busybox_image, context, run_build):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": rendezvous(base, 2)})
    res = run_build(ctx, args(registry_plain, registry_plain.ref("parallel:seq"), "--jobs=1"), expect_rc=7)
    assert "[stage" not in res.output


def test_a_failing_stage_stops_the_others(registry_plain, busybox_image, context, run_build, tmp_path):
    base = busybox_image.push(registry_plain)
    dockerfile = f"""\
FROM {base} AS slow
RUN sleep 60 && touch /slow
FROM {base} AS broken
RUN sleep 1 && exit 3
FROM {base}
COPY --from=slow /slow /slow
COPY --from=broken /etc/hostname /h
"""
    ctx = context({"Dockerfile": dockerfile})
    root = tmp_path / "root"
    t0 = time.monotonic()
    res = run_build(ctx, args(registry_plain, registry_plain.ref("parallel:broken"), "--jobs=4", "--cleanup"),
                    root=root, expect_rc=3)
    assert time.monotonic() - t0 < 40, "the slow stage was not stopped"
    assert "exit code 3" in res.output
    assert not any((root / "kaniko/work").iterdir()), "the stages' roots and work files must be gone"


def test_docker_caps_keep_run_stages_in_line(registry_plain, busybox_image, context, run_build, pull_rootfs):
    base = busybox_image.push(registry_plain)
    dockerfile = f"""\
FROM {base} AS built
RUN mkdir /out && echo built > /out/built
FROM scratch AS copied
COPY a.txt /a.txt
FROM {base}
COPY --from=built /out/built /built
COPY --from=copied /a.txt /a.txt
"""
    ctx = context({"Dockerfile": dockerfile, "a.txt": "a\n"})
    dest = registry_plain.ref("parallel:caps")
    res = run_build(ctx, args(registry_plain, dest, "--jobs=4"), docker_caps=True)
    assert "Stages with RUN are built one after another in the root" in res.output
    assert "[stage 1 (copied)] " in res.output
    rootfs = pull_rootfs(dest)
    assert (rootfs / "built").read_text() == "built\n"
    assert (rootfs / "a.txt").read_text() == "a\n"


def test_side_stage_caches_stay_out_of_the_container_root(registry_plain, busybox_image, context, run_build,
                                                          pull_rootfs):
    """--cache-dir (/cache) is not a volume here, so it is in the container's
    root, where the target is built and snapshotted: stages in roots of their
    own must not put their RUN caches there either, and they share the
    build's one fallback cache."""
    base = busybox_image.push(registry_plain)
    # Each waits (up to 60 s) for the other's mark in the cache: only one cache for both lets them go on.
    stage = """\
FROM {base} AS {me}
RUN --mount=type=cache,id=shared,target=/c touch /c/{me} && i=0; \\
    while [ ! -e /c/{other} ]; do i=$((i+1)); [ $i -gt 600 ] && exit 7; sleep 0.1; done; mkdir /out && ls /c > /out/{me}-cache
"""
    dockerfile = (stage.format(base=base, me="one", other="two") + stage.format(base=base, me="two", other="one") +
                  f"FROM {base}\nCOPY --from=one /out/ /one/\nCOPY --from=two /out/ /two/\nRUN ls / > /top\n")
    ctx = context({"Dockerfile": dockerfile})
    dest = registry_plain.ref("parallel:cache")
    res = run_build(ctx, args(registry_plain, dest, "--jobs=4"))
    assert "[stage 0 (one)] " in res.output and "[stage 1 (two)] " in res.output, res.output
    rootfs = pull_rootfs(dest)
    assert "cache" not in (rootfs / "top").read_text().split(), (rootfs / "top").read_text()
    assert not (rootfs / "cache").exists(), sorted(p.name for p in rootfs.iterdir())
    for me in ("one", "two"):  # side by side, one cache: each saw the other's mark
        assert (rootfs / me / f"{me}-cache").read_text() == "one\ntwo\n", res.output
