"""Pipelined layer uploads (issue 20): each layer of the image being pushed
goes to every destination while the next steps run, so the push after the
last step finds it there. The final push still checks every blob and writes
the tags; an early upload that fails is left to it.

The log lines of the early uploader start with "[early upload] "; with
--verbosity=debug each blob placed in a destination is logged as
"layer sha256:… is in HOST/REPO", and a step's layer sent to the first
destination while it was being written as "layer sha256:… streamed to
HOST/REPO as it was written".
"""
import json
import os
import re

import pytest

import fault_proxy as fp
import kiln_e2e as k
import registry_check as rc

# The last RUN waits, so the earlier layers' uploads have time to finish
# while it runs; its own layer can only go up after it.
DOCKERFILE = """\
FROM {base}
COPY one.bin /one.bin
RUN echo two > /two.txt
RUN sleep 3 && echo three > /three.txt && echo LAST-RUN-ENDS
"""


def early_line(digest, repo):
    return f"[early upload] layer {digest} is in {repo}"


def build(run_build, context, outdir, base, dests, extra=(), expect_rc=0):
    ctx = context({"Dockerfile": DOCKERFILE.format(base=base), "one.bin": os.urandom(200 * 1024)})
    args = ["--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace", "--verbosity=debug", "--insecure",
            "--insecure-pull", *[f"--destination={d}" for d in dests], *extra]
    res = run_build(ctx, args, binds=[(outdir, "/out")], env={"BENCHMARK_FILE": "/out/report.json"},
                    expect_rc=expect_rc, timeout=180)
    report = json.loads((outdir / "report.json").read_text()) if res.rc == 0 else None
    return res, report


def test_layers_go_up_while_the_last_step_runs(registry_plain, busybox_image, run_build, context, outdir,
                                               pull_rootfs):
    base = busybox_image.push(registry_plain, "oci")
    dests = [registry_plain.ref("early/app:v1"), registry_plain.ref("early/copy:v2")]
    res, report = build(run_build, context, outdir, base, dests)
    out = res.output

    manifest = k.inspect_manifest(dests[0])
    layers = [l["digest"] for l in manifest["layers"]]
    assert len(layers) == 5, manifest  # two base layers, COPY, two RUNs
    last_run = out.index("\nLAST-RUN-ENDS\n")  # the RUN's output, not its log line
    for dest in dests:
        repo = dest.rsplit(":", 1)[0]
        # The COPY's and the first RUN's layers were in each destination
        # before the last RUN had printed anything.
        for digest in layers[2:4]:
            line = early_line(digest, repo)
            assert line in out, f"no early upload of {digest} to {repo}\n" + res.describe()
            assert out.index(line) < last_run, f"{digest} went up only after the last step\n" + res.describe()
        # The base layers were mounted from the base's repository early too.
        for digest in layers[:2]:
            assert out.index(early_line(digest, repo)) < last_run, res.describe()
        # The last RUN's layer could only go up after it, still before the tag.
        assert early_line(layers[4], repo) in out, res.describe()
    assert out.index(early_line(layers[4], dests[1].rsplit(":", 1)[0])) < out.index("Pushed "), res.describe()

    # Each step's layer was streamed to the first destination as it was
    # written (the second gets an ordinary upload once it is complete).
    for digest in layers[2:]:
        assert f"[early upload] layer {digest} streamed to {dests[0].rsplit(':', 1)[0]}" in out, res.describe()
    # The final push found every blob there: it uploaded only the config.
    assert len(re.findall(r"\[early upload\] layer sha256:[0-9a-f]{64} is in ", out)) == 10, res.describe()
    assert report["early_upload_blobs"] == 10 and report["early_upload_failed"] == 0, report
    assert report["early_upload_seconds"] > 0
    assert 0 <= report["early_upload_wait_seconds"] <= report["push_seconds"], report
    assert 0 < report["push_manifests_seconds"] <= report["push_seconds"], report

    # Both tags name whole images with every file of the build.
    digests = {rc.verify_image(registry_plain, d.split("/", 1)[1]) for d in dests}
    assert len(digests) == 1
    root = pull_rootfs(dests[1])
    assert (root / "one.bin").stat().st_size == 200 * 1024
    assert (root / "two.txt").read_text() == "two\n"
    assert (root / "three.txt").read_text() == "three\n"


def test_no_push_uploads_nothing_early(registry_plain, busybox_image, run_build, context, outdir):
    base = busybox_image.push(registry_plain, "oci")
    dest = registry_plain.ref("early/nopush:v1")
    res, _ = build(run_build, context, outdir, base, [dest], extra=["--no-push"])
    assert "[early upload]" not in res.output, res.describe()
    assert not k.image_exists(dest)


@pytest.fixture
def proxy(fresh_registry):
    p = fp.FaultProxy(fresh_registry.host)
    yield p
    p.close()


def test_a_failed_early_upload_is_left_to_the_push(fresh_registry, proxy, busybox_image, run_build, context, outdir):
    """The registry answers 500 to the first four upload requests (no push
    permission check, which would take one): the early uploads of the two
    base layers' mounts, of the COPY's and of the first RUN's layer fail (the
    uploader does not retry), and the final push, which comes after them,
    places those blobs itself."""
    busybox_image.push(fresh_registry, "oci")
    fault = proxy.arm(fp.Fault("status", fp.is_upload, count=4, status=500))
    dest = proxy.ref("early/faulty:v1")
    res, report = build(run_build, context, outdir, proxy.ref("busybox:latest"), [dest],
                        extra=["--skip-push-permission-check"])
    proxy.arm(None)
    assert fault.injected == 4
    assert "failed, left to the push" in res.output, res.describe()
    assert report["early_upload_failed"] >= 1, report
    rc.verify_image(fresh_registry, "early/faulty:v1")
    rc.verify_all_tags(fresh_registry)


def test_a_registry_that_corrupts_every_upload_gets_no_tag(fresh_registry, proxy, busybox_image, run_build,
                                                            context, outdir):
    """Every upload's bytes are flipped on the way: the early uploads fail,
    then the final push fails naming the blob, and no tag is written."""
    busybox_image.push(fresh_registry, "oci")
    fault = proxy.arm(fp.Fault("corrupt", fp.is_upload_with_body, count=1000))
    dest = proxy.ref("early/corrupt:v1")
    res, _ = build(run_build, context, outdir, proxy.ref("busybox:latest"), [dest],
                   extra=["--skip-push-permission-check"], expect_rc="fail")
    proxy.arm(None)
    assert fault.injected >= 2  # at least the early upload and the final push of the COPY's layer
    assert "failed, left to the push" in res.output, res.describe()
    assert "DIGEST_INVALID" in res.output and "pushing blob sha256:" in res.output, res.describe()
    assert "early/corrupt:v1" not in rc.verify_all_tags(fresh_registry)
