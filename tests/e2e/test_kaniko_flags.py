"""kaniko flags kiln used to accept and ignore: push permission checked
before the build (--skip-push-permission-check),
--push-ignore-immutable-tag-errors (an ECR-worded refusal injected by the
fault proxy in front of a real registry), --image-fs-extract-retry (a base
layer corrupted once on the way), and a failing RUN's exit code passed on."""
import json
import secrets
import time

import pytest

import fault_proxy as fp
import kiln_e2e as k

SLOW = "RUN echo step-ran && sleep 20\n"


def test_bad_credentials_fail_before_the_build(registry_auth, busybox_image, context, run_build, tmp_path):
    base = busybox_image.push(registry_auth)
    ctx = context({"Dockerfile": f"FROM {base}\n{SLOW}"})
    dest = registry_auth.ref("checks/denied:1")
    cfg = registry_auth.docker_config(tmp_path / "config.json", password="wrong-" + secrets.token_hex(6))
    t0 = time.monotonic()
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}"], docker_config=cfg,
                    ca=registry_auth.ca, expect_rc=1)
    assert time.monotonic() - t0 < 15, "the check must come before the 20 s RUN"
    assert "step-ran" not in res.output, res.describe()
    assert "checking push permission for " + registry_auth.host + "/checks/denied" in res.output, res.describe()
    assert not k.image_exists(dest)


def test_skip_push_permission_check_builds_first(registry_auth, registry_plain, busybox_image, context, run_build,
                                                 tmp_path):
    # The base comes from another registry: the wrong password is for the destination only.
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN echo step-ran\n"})
    dest = registry_auth.ref("checks/skipped:1")
    cfg = registry_auth.docker_config(tmp_path / "config.json", password="wrong-" + secrets.token_hex(6))
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", "--skip-push-permission-check",
                               "--insecure-pull"],
                    docker_config=cfg, ca=registry_auth.ca, expect_rc=1)
    assert "step-ran" in res.output and "checking push permission" not in res.output, res.describe()


@pytest.fixture
def immutable_proxy(registry_plain):
    p = fp.FaultProxy(registry_plain.host)
    yield p
    p.close()


ECR_IMMUTABLE = json.dumps({"errors": [{"code": "TAG_INVALID", "message": (
    "The image tag 'v1' already exists in the 'checks/immutable' repository and cannot be overwritten "
    "because the repository is immutable.")}]}).encode()


@pytest.mark.parametrize("ignore", [False, True], ids=["refused", "ignored"])
def test_immutable_tag(ignore, immutable_proxy, registry_plain, busybox_image, context, run_build, outdir):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN echo {secrets.token_hex(4)} > /f\n"})
    repo = f"checks/immutable-{str(ignore).lower()}"
    immutable_proxy.arm(fp.Fault("status", match=lambda m, p: m == "PUT" and p.endswith("/manifests/v1"),
                                 status=400, body=ECR_IMMUTABLE, count=10))
    dests = [f"--destination={immutable_proxy.ref(repo + ':v1')}", f"--destination={immutable_proxy.ref(repo + ':v2')}"]
    flags = ["--push-ignore-immutable-tag-errors"] if ignore else []
    res = run_build(ctx, ["--context=dir:///workspace", *dests, "--insecure", "--insecure-pull",
                          "--digest-file=/output/digest", *flags], binds=[(outdir, "/output")],
                    expect_rc=0 if ignore else 1)
    assert "cannot be overwritten because the repository is immutable" in res.output, res.describe()
    if ignore:
        # The other tag was written and the digest file names the built image.
        assert k.image_digest(registry_plain.ref(repo + ":v2")) == (outdir / "digest").read_text()
    else:
        assert not k.image_exists(registry_plain.ref(repo + ":v2"))


@pytest.mark.parametrize("code", [42, 7])
def test_failing_run_exit_code_is_the_executors(code, registry_plain, busybox_image, context, run_build):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN exit {code}\n"})
    res = run_build(ctx, ["--context=dir:///workspace", "--no-push"], expect_rc=code)
    assert f"exit code {code}" in res.output


@pytest.mark.parametrize("retries", [0, 1])
def test_image_fs_extract_retry(retries, immutable_proxy, registry_plain, busybox_image, context, run_build, outdir):
    """The base layer arrives with 16 bytes flipped once: the unpack fails
    (digest or inflate); with a retry it is downloaded again and the build
    succeeds."""
    busybox_image.push(registry_plain, repo=f"retry-base-{retries}")
    base = immutable_proxy.ref(f"retry-base-{retries}:latest")
    layer = busybox_image.image.layer_digests[0]
    fault = immutable_proxy.arm(fp.Fault("corrupt", match=lambda m, p: fp.is_blob_get(m, p) and p.endswith(layer),
                                         count=1))
    ctx = context({"Dockerfile": f"FROM {base}\nRUN test -x /bin/busybox && echo unpacked > /u\n"})
    res = run_build(ctx, ["--context=dir:///workspace", "--no-push", "--tar-path=/output/i.tar", "--insecure-pull",
                          f"--image-fs-extract-retry={retries}"], binds=[(outdir, "/output")],
                    expect_rc=0 if retries else 1)
    assert fault.injected == 1
    if retries:
        assert "--image-fs-extract-retry, retry 1 of 1" in res.output, res.describe()
        assert (outdir / "i.tar").stat().st_size > 0
    else:
        assert "unpacking layer 1" in res.output, res.describe()
