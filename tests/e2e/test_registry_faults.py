"""Failing networks and registries (issue 8): kiln talks to a real
docker-registry through fault_proxy.FaultProxy, which resets connections,
answers 5xx/429, trickles, truncates, lies about lengths and flips bytes.

Each fault is injected into the pull of the base image and into the push of
the result. Either the build succeeds after retries and the pushed image is
whole, or it fails with an error naming the blob or registry and pushes
nothing. In every case, every tag in the registry (read directly, not
through the proxy) points at a manifest whose blobs all exist and verify.
"""
import os

import pytest

import fault_proxy as fp
import kiln_e2e as k
import registry_check as rc

RETRIES = ["--image-download-retry=3", "--push-retry=3"]


@pytest.fixture(scope="module")
def faults_registry(make_registry):
    return make_registry(name="registry-faults")


@pytest.fixture(scope="module")
def proxy(faults_registry):
    p = fp.FaultProxy(faults_registry.host)
    yield p
    p.close()


@pytest.fixture(scope="module")
def fault_base(faults_registry, tmp_path_factory):
    """A one-layer base image with 384 KiB of incompressible bytes, so that
    "half the body" is a real mid-blob cut."""
    payload = os.urandom(384 * 1024)
    tar = k.deterministic_tar([k.Entry("base.bin", "file", 0o644, data=payload)])
    image = k.write_oci_layout(tmp_path_factory.mktemp("fault-base") / "layout", [tar])
    k.push_layout(image, faults_registry.ref("faultbase:latest"))
    return image


def build(run_build, context, proxy, fault_base, dest_tag, expect_rc):
    ctx = context({"Dockerfile": f"FROM {proxy.ref('faultbase:latest')}\nCOPY new.bin /new.bin\n",
                   "new.bin": os.urandom(256 * 1024)})
    return run_build(ctx, ["--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace",
                           f"--destination={proxy.ref(dest_tag)}", "--insecure", "--insecure-pull",
                           *RETRIES], expect_rc=expect_rc, timeout=120)


# (name, fault, outcome): outcome "ok", or the fragments the error must
# contain (the blob and what was wrong with it).
PULL = [
    ("reset", lambda: fp.Fault("reset", fp.is_blob_get, count=2), "ok"),
    ("5xx", lambda: fp.Fault("status", fp.any_request, count=3, statuses=(500, 502, 503)), "ok"),
    ("throttle", lambda: fp.Fault("throttle", fp.any_request, count=2, retry_after=1), "ok"),
    ("trickle", lambda: fp.Fault("trickle", fp.is_blob_get, count=2), "ok"),
    ("truncate", lambda: fp.Fault("truncate", fp.is_blob_get, count=2), "ok"),
    ("short-length", lambda: fp.Fault("short_length", fp.is_blob_get, count=1), "ok"),
    ("corrupt", lambda: fp.Fault("corrupt", fp.is_blob_get, count=1), ("pulling blob sha256:", "digest mismatch")),
]

# The COPY's layer is sent twice during the build (streamed as it is written,
# then uploaded when that failed: engine/early_upload.h, no retries there);
# the faults after those two reach the final push and its retries.
PUSH = [
    ("reset", lambda: fp.Fault("reset", fp.is_upload_with_body, count=4), "ok"),
    ("5xx", lambda: fp.Fault("status", fp.is_upload, count=3, statuses=(503, 502, 500)), "ok"),
    ("throttle", lambda: fp.Fault("throttle", fp.is_upload, count=2, retry_after=1), "ok"),
    ("500-manifest", lambda: fp.Fault("status", lambda m, p: m == "PUT" and "/manifests/" in p,
                                      count=2, status=500), "ok"),
    ("corrupt", lambda: fp.Fault("corrupt", fp.is_upload_with_body, count=1000), ("pushing blob sha256:", "DIGEST_INVALID")),
]


def check_outcome(res, fault, outcome, proxy, registry, dest_tag):
    assert fault.injected >= 1, f"the fault never happened; requests seen: {proxy.requests}"
    if outcome == "ok":
        assert res.rc == 0, res.describe()
        print(f"\n{fault.mode}: injected {fault.injected}, retries logged: "
              f"{res.output.count('retrying in')}, {res.elapsed:.1f} s")
        digest = rc.verify_image(registry, dest_tag)
        assert digest.startswith("sha256:")
    else:
        assert res.rc != 0, "expected a failure\n" + res.describe()
        print(f"\n{fault.mode}: {[l for l in res.output.splitlines() if 'rror' in l][-1:]}")
        for fragment in outcome:
            assert fragment in res.output, res.describe()
        assert proxy.host in res.output, "the error does not name the registry\n" + res.describe()
        assert dest_tag not in rc.tags(registry), f"{dest_tag} was pushed although the build failed"
    rc.verify_all_tags(registry)


@pytest.mark.parametrize("name,make,outcome", PULL, ids=[p[0] for p in PULL])
def test_pull_fault(name, make, outcome, proxy, faults_registry, fault_base, run_build, context):
    dest_tag = f"pull-{name}:v1"
    fault = proxy.arm(make())
    res = build(run_build, context, proxy, fault_base, dest_tag, None)
    proxy.arm(None)
    check_outcome(res, fault, outcome, proxy, faults_registry, dest_tag)


@pytest.mark.parametrize("name,make,outcome", PUSH, ids=[p[0] for p in PUSH])
def test_push_fault(name, make, outcome, proxy, faults_registry, fault_base, run_build, context):
    dest_tag = f"push-{name}:v1"
    fault = proxy.arm(make())
    res = build(run_build, context, proxy, fault_base, dest_tag, None)
    proxy.arm(None)
    check_outcome(res, fault, outcome, proxy, faults_registry, dest_tag)
