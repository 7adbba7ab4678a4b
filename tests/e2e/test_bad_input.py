"""Bad input and hostile conditions: clear errors, non-zero exits, nothing pushed."""
import re

import kiln_e2e as k


def test_unknown_flag(context, run_build):
    ctx = context({"Dockerfile": "FROM scratch\n"})
    res = run_build(ctx, ["--no-push", "--no-such-flag"], expect_rc="fail")
    assert "no-such-flag" in res.output, res.describe()
    assert "unknown" in res.output.lower(), res.describe()


def test_missing_dockerfile(context, run_build):
    ctx = context({"f": "x\n"})
    res = run_build(ctx, ["--context=dir:///workspace", "--dockerfile=/workspace/nope/Dockerfile",
                          "--no-push"], expect_rc="fail")
    assert "nope/Dockerfile" in res.output, res.describe()


def test_missing_context_dir(context, run_build):
    ctx = context({"Dockerfile": "FROM scratch\nCOPY f /f\n", "f": "x\n"})
    res = run_build(ctx, ["--dockerfile=/workspace/Dockerfile",
                          "--context=dir:///workspace/does-not-exist", "--no-push"],
                    expect_rc="fail")
    assert "does-not-exist" in res.output, res.describe()


def test_base_registry_down(context, run_build):
    port = k.closed_port()
    ctx = context({"Dockerfile": f"FROM 127.0.0.1:{port}/busybox:latest\nCOPY f /f\n", "f": "x\n"})
    res = run_build(ctx, ["--context=dir:///workspace", "--no-push", "--insecure-pull"],
                    expect_rc="fail", timeout=300)
    assert f"127.0.0.1:{port}" in res.output, res.describe()
    assert re.search(r"connection refused|connect", res.output, re.I), res.describe()
    assert res.elapsed < 240, "gave up only after %.0fs" % res.elapsed


def test_destination_registry_down(context, run_build):
    port = k.closed_port()
    ctx = context({"Dockerfile": "FROM scratch\nCOPY f /f\n", "f": "x\n"})
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination=127.0.0.1:{port}/app:v1",
                          "--insecure", "--push-retry=1"], expect_rc="fail", timeout=300)
    assert f"127.0.0.1:{port}" in res.output, res.describe()
    assert res.elapsed < 240, "gave up only after %.0fs" % res.elapsed


def test_tampered_base_blob(fresh_registry, registry_plain, context, run_build, tmp_path):
    """A base layer whose bytes no longer match its digest must stop the build.

    The layer is gzip level 0 (stored blocks), so the tampered bytes are a valid
    gzip stream of exactly the same size: only the digest check can catch it.
    The destination is another registry, so the layer has to be read."""
    base, digest, _ = k.push_tampered_image(fresh_registry, tmp_path)
    ctx = context({"Dockerfile": f"FROM {base}\nCOPY f /f\n", "f": "x\n"})
    dest = registry_plain.ref("tampered:v1")
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}",
                          "--insecure", "--insecure-pull"], expect_rc="fail")
    out = res.output
    assert re.search(r"digest|checksum|sha256", out, re.I), res.describe()
    assert re.search(r"mismatch|does not match|doesn't match|verif|expected|want", out, re.I), \
        res.describe()
    assert digest.split(":")[1][:12] in out, "the error names the bad blob\n" + res.describe()
    assert not k.image_exists(dest), "nothing may be pushed after a digest mismatch"


def test_refuses_to_run_outside_a_container(context, run_build):
    """No container marker (no container= variable, no /.dockerenv, PID 1 the
    executor with root cgroups): kaniko's refusal, word for word."""
    ctx = context({"Dockerfile": "FROM scratch\nCOPY f /f\n", "f": "x\n"})
    res = run_build(ctx, ["--context=dir:///workspace", "--no-push"], container_env=False,
                    expect_rc="fail")
    assert k.NOT_IN_CONTAINER_MSG in res.output, res.describe()


def test_force_runs_outside_a_container(context, run_build, outdir, tmp_path):
    """--force gets past the check. Still inside the sandbox's own root, so it is harmless."""
    ctx = context({"Dockerfile": "FROM scratch\nCOPY f /f\n", "f": "forced\n"})
    res = run_build(ctx, ["--context=dir:///workspace", "--force", "--no-push",
                          "--tar-path=/output/image.tar"], container_env=False,
                    binds=[(outdir, "/output")])
    assert k.NOT_IN_CONTAINER_MSG not in res.output
    layout = tmp_path / "forced"
    k.run(["skopeo", "copy", "--quiet", f"docker-archive:{outdir / 'image.tar'}", f"oci:{layout}:x"])
    rootfs = k.unpack_layout(f"{layout}:x", tmp_path / "unpacked")
    assert (rootfs / "f").read_text() == "forced\n"
