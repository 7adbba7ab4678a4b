"""The build engine: RUN in the unpacked base, deletions, stages, owners,
and the state between builds in one container."""
import os
import stat

import kiln_e2e as k


def args(registry, dest, *extra):
    return ["--context=dir:///workspace", f"--destination={dest}", *registry.insecure_args(), *extra]


def test_run_adds_changes_and_deletes(registry_plain, busybox_image, context, run_build, pull_rootfs):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"""\
FROM {base}
RUN mkdir -p /opt/data && echo made > /opt/data/new.txt && echo changed >> /etc/kiln-base-release
RUN rm /etc/group && rm -rf /home/app
RUN true
"""})
    dest = registry_plain.ref("engine-run:v1")
    run_build(ctx, args(registry_plain, dest))
    rootfs = pull_rootfs(dest)
    assert (rootfs / "opt/data/new.txt").read_text() == "made\n"
    assert (rootfs / "etc/kiln-base-release").read_text().endswith("changed\n")
    assert not (rootfs / "etc/group").exists(), "a deletion in RUN must become a whiteout"
    assert not (rootfs / "home/app").exists()
    assert (rootfs / "etc/passwd").exists()
    manifest, config = k.inspect_manifest(dest), k.inspect_config(dest)
    # Two base layers, one per changing RUN; `RUN true` changed nothing.
    assert len(manifest["layers"]) == 4
    runs = [h for h in config["history"] if "RUN" in h.get("created_by", "")]
    assert [bool(h.get("empty_layer")) for h in runs] == [False, False, True]


def test_failing_run_names_command_and_pushes_nothing(registry_plain, busybox_image, context, run_build):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN echo about to fail && exit 7\n"})
    dest = registry_plain.ref("engine-fail:v1")
    res = run_build(ctx, args(registry_plain, dest), expect_rc=7)  # the RUN's own code, as kaniko
    assert "exit code 7" in res.output, res.describe()
    assert "about to fail" in res.output, "the command's output is streamed to the log"
    assert not k.image_exists(dest)


def test_user_workdir_chown_chmod(registry_plain, busybox_image, context, run_build, pull_rootfs):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"""\
FROM {base}
COPY --chown=app:app --chmod=0700 tool.sh /opt/tool.sh
USER app
WORKDIR /home/app/work
RUN id -u > uid.txt && id -g >> uid.txt && pwd >> uid.txt
USER root
RUN chmod 4755 /opt/tool.sh
""", "tool.sh": ("#!/bin/sh\necho tool\n", 0o644)})
    dest = registry_plain.ref("engine-users:v1")
    run_build(ctx, args(registry_plain, dest))
    rootfs = pull_rootfs(dest)
    st = os.lstat(rootfs / "opt/tool.sh")
    assert (st.st_uid, st.st_gid) == (1000, 1000)
    assert stat.S_IMODE(st.st_mode) == 0o4755
    work = rootfs / "home/app/work"
    assert (os.lstat(work).st_uid, os.lstat(work).st_gid) == (1000, 1000), "WORKDIR is created owned by USER"
    assert (work / "uid.txt").read_text() == "1000\n1000\n/home/app/work\n"


def test_multi_stage_copy_from_and_target(registry_plain, busybox_image, context, run_build, pull_rootfs):
    base = busybox_image.push(registry_plain)
    dockerfile = f"""\
ARG GREETING=hi
FROM {base} AS builder
ARG GREETING
RUN mkdir /out && echo "$GREETING from builder" > /out/artifact.txt && touch /out/builder-only
FROM scratch AS final
COPY --from=builder /out/artifact.txt /artifact.txt
"""
    ctx = context({"Dockerfile": dockerfile})
    dest = registry_plain.ref("engine-stages:final")
    run_build(ctx, args(registry_plain, dest, "--build-arg", "GREETING=hello"))
    rootfs = pull_rootfs(dest)
    assert sorted(p.name for p in rootfs.iterdir()) == ["artifact.txt"]
    assert (rootfs / "artifact.txt").read_text() == "hello from builder\n"
    assert len(k.inspect_manifest(dest)["layers"]) == 1

    target = registry_plain.ref("engine-stages:builder")
    run_build(ctx, args(registry_plain, target, "--target=builder"))
    assert (pull_rootfs(target) / "out/builder-only").exists()


def test_failed_build_then_good_build_with_cleanup(registry_plain, busybox_image, context, run_build,
                                                   pull_rootfs, tmp_path):
    base = busybox_image.push(registry_plain)
    root = tmp_path / "drone-root"
    bad = context({"Dockerfile": f"FROM {base}\nRUN echo leftover > /leftover.txt && false\n"})
    good = context({"Dockerfile": f"FROM {base}\nRUN ls / > /listing.txt\n"})
    run_build(bad, args(registry_plain, registry_plain.ref("seq-bad:v1"), "--cleanup"), root=root,
              expect_rc="fail")
    assert not (root / "leftover.txt").exists(), "--cleanup must wipe the root after a failed build"
    assert not any((root / "kaniko/work").iterdir()), "the failed build's work files must be gone"
    dest = registry_plain.ref("seq-good:v1")
    run_build(good, args(registry_plain, dest, "--cleanup"), root=root)
    listing = (pull_rootfs(dest) / "listing.txt").read_text().split()
    assert "leftover.txt" not in listing
    assert (root / "kaniko/executor").is_file()


def test_kaniko_dir_never_in_a_layer(registry_plain, busybox_image, context, run_build, pull_rootfs):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN echo x > /kaniko/planted 2>/dev/null; echo y > /y\n"})
    dest = registry_plain.ref("engine-ignore:v1")
    run_build(ctx, args(registry_plain, dest))
    rootfs = pull_rootfs(dest)
    assert (rootfs / "y").exists()
    assert not (rootfs / "kaniko").exists(), "/kaniko is on the ignore list and never snapshotted"
