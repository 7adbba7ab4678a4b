"""kaniko flags kiln used to accept and ignore: push permission checked
before the build, for the destinations and the layer cache repository
(--skip-push-permission-check), several --target in one run (the fork),
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


# ---------------------------------------------------------------------------
# Several --target in one run (kaniko's maintained fork)
# ---------------------------------------------------------------------------

MULTI_TARGET = """\
FROM {base} AS a
RUN echo a-ran >> /counter/count && echo from-a > /a.txt
FROM {base} AS b
RUN echo b-ran >> /counter/count
FROM a AS c
RUN echo c-ran >> /counter/count && echo from-c > /c.txt
FROM {base} AS d
RUN echo d-ran >> /counter/count
"""


def cache_tag_count(registry, repo):
    status, _, body = registry.get(f"/v2/{repo}/tags/list")
    assert status == 200, body
    return len(json.loads(body).get("tags") or [])


def test_several_targets_build_each_once_and_push_the_first(fresh_registry, busybox_image, context, run_build,
                                                            pull_rootfs, tmp_path):
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": MULTI_TARGET.format(base=base)})
    counter = tmp_path / "counter"
    counter.mkdir()
    (counter / "count").write_text("")
    out = tmp_path / "out"
    out.mkdir()
    # Sorted: independent stages run side by side (--jobs), in any order; a
    # stage built twice would still show twice.
    runs = lambda: sorted((counter / "count").read_text().split())  # noqa: E731
    cache = f"--cache-repo={fresh_registry.host}/multi/cache"
    common = ["--context=dir:///workspace", "--insecure", "--insecure-pull", "--cache=true", cache]
    binds = [(counter, "/counter"), (out, "/out")]

    # --dryrun says which stage is the result and which are only built.
    dry = run_build(ctx, [*common, "--dryrun", "--no-push", "--target=a", "--target=c"], binds=binds)
    assert "result: stage 0 (a); also built as --target, not pushed: stage 2 (c)" in dry.output, dry.describe()
    assert runs() == []

    dest = fresh_registry.ref("multi:a")
    res = run_build(ctx, [*common, f"--destination={dest}", "--target", "a", "--target", "c",
                          "--digest-file=/out/digest"], binds=binds)
    # Every stage up to the last target, as kaniko builds them; each once; d not at all.
    assert runs() == ["a-ran", "b-ran", "c-ran"], res.describe()
    assert "Stage 2 is a --target after the first: built, not pushed" in res.output, res.describe()
    rootfs = pull_rootfs(dest)
    assert (rootfs / "a.txt").read_text() == "from-a\n"
    assert not (rootfs / "c.txt").exists()
    assert (out / "digest").read_text() == k.image_digest(dest)
    # The layer cache holds every stage's RUN, c's included.
    assert cache_tag_count(fresh_registry, "multi/cache") == 3

    # c built alone next: its RUN comes from the cache the run above filled.
    dest_c = fresh_registry.ref("multi:c")
    again = run_build(ctx, [*common, f"--destination={dest_c}", "--target=c", "--skip-unused-stages"], binds=binds)
    assert runs() == ["a-ran", "b-ran", "c-ran"], again.describe()
    rootfs = pull_rootfs(dest_c)
    assert (rootfs / "c.txt").read_text() == "from-c\n" and (rootfs / "a.txt").read_text() == "from-a\n"


def test_several_targets_with_skip_unused_stages_and_a_comma_list(fresh_registry, busybox_image, context,
                                                                  run_build, pull_rootfs, tmp_path):
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": MULTI_TARGET.format(base=base)})
    counter = tmp_path / "counter"
    counter.mkdir()
    (counter / "count").write_text("")
    dest = fresh_registry.ref("multi-skip:d")
    res = run_build(ctx, ["--context=dir:///workspace", "--insecure", "--insecure-pull", f"--destination={dest}",
                          "--target=d,c", "--skip-unused-stages"], binds=[(counter, "/counter")])
    # b is used by no target: skipped; a is built once although c needs it.
    assert sorted((counter / "count").read_text().split()) == ["a-ran", "c-ran", "d-ran"], res.describe()
    rootfs = pull_rootfs(dest)
    assert not (rootfs / "a.txt").exists() and not (rootfs / "c.txt").exists()


def test_an_unknown_target_is_refused_before_any_stage(registry_plain, busybox_image, context, run_build, tmp_path):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": MULTI_TARGET.format(base=base)})
    counter = tmp_path / "counter"
    counter.mkdir()
    (counter / "count").write_text("")
    res = run_build(ctx, ["--context=dir:///workspace", "--no-push", "--insecure-pull", "--target=a",
                          "--target=nope"], binds=[(counter, "/counter")], expect_rc=1)
    assert '--target stage "nope" could not be found; stages are: a, b, c, d' in res.output, res.describe()
    assert (counter / "count").read_text() == ""


# ---------------------------------------------------------------------------
# The push permission check of the layer cache repository
# ---------------------------------------------------------------------------

def test_refused_cache_repo_with_no_push_fails_before_the_build(registry_auth, registry_plain, busybox_image, context,
                                                                run_build, tmp_path):
    """kaniko checks the --cache-repo with --no-push: refused credentials end
    the build in seconds, before the RUN; --skip-push-permission-check goes
    on (the cache then only warns)."""
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\n{SLOW}"})
    cfg = registry_auth.docker_config(tmp_path / "config.json", password="wrong-" + secrets.token_hex(6))
    args = ["--context=dir:///workspace", "--no-push", f"--insecure-registry={registry_plain.host}", "--cache=true",
            f"--cache-repo={registry_auth.host}/checks/cache"]
    t0 = time.monotonic()
    res = run_build(ctx, args, docker_config=cfg, ca=registry_auth.ca, expect_rc=1)
    assert time.monotonic() - t0 < 15, "the check must come before the 20 s RUN"
    assert "step-ran" not in res.output, res.describe()
    assert "layer cache repository (--cache-repo) refuses pushes" in res.output, res.describe()
    assert "checking push permission for " + registry_auth.host + "/checks/cache" in res.output, res.describe()

    res = run_build(ctx, [*args, "--skip-push-permission-check"], docker_config=cfg, ca=registry_auth.ca)
    assert "step-ran" in res.output and "checking push permission" not in res.output, res.describe()


def test_refused_cache_repo_while_pushing_warns_and_stores_nothing(registry_auth, registry_plain, busybox_image,
                                                                   context, run_build, pull_rootfs, tmp_path):
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN echo step-ran && echo built > /f\n"})
    cfg = registry_auth.docker_config(tmp_path / "config.json", password="wrong-" + secrets.token_hex(6))
    dest = registry_plain.ref("checks/cache-warned:1")
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}",
                          f"--insecure-registry={registry_plain.host}", "--cache=true",
                          f"--cache-repo={registry_auth.host}/checks/cache-warned"],
                    docker_config=cfg, ca=registry_auth.ca)
    warning = f"Layer cache {registry_auth.host}/checks/cache-warned is not usable for storing"
    assert warning in res.output, res.describe()
    assert res.output.index(warning) < res.output.index("step-ran"), res.describe()
    assert (pull_rootfs(dest) / "f").read_text() == "built\n"
    # Nothing was stored (the right credentials see no such repository).
    status, _, _ = registry_auth.get("/v2/checks/cache-warned/tags/list")
    assert status == 404, status


def test_unwritable_oci_cache_warns_before_the_build(registry_plain, busybox_image, context, run_build):
    # The layout's directory cannot be made (its parent is a file): the
    # lock is never taken, the build goes on without the cache.
    base = busybox_image.push(registry_plain)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN echo step-ran\n"})
    res = run_build(ctx, ["--context=dir:///workspace", "--no-push", "--insecure-pull", "--cache=true",
                          "--cache-repo=oci:/workspace/Dockerfile/cache"])
    assert "Layer cache oci:/workspace/Dockerfile/cache is not usable" in res.output, res.describe()
    assert res.output.index("not usable") < res.output.index("step-ran"), res.describe()
