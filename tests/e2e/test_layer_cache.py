"""The layer cache (--cache=true, --cache-repo or the destination's
repository + "/cache", or a local OCI layout with --cache-repo=oci:/path):
a rebuild runs no cached step, a change invalidates
from the step it touches, a poisoned entry is refused, an unreachable cache
repository only warns. Each build runs in a fresh sandbox root, as a new CI
job would: the registry is the only thing that remembers."""
import hashlib
import json
import time
import urllib.request

import fault_proxy as fp
import kiln_e2e as k

DOCKERFILE = """\
FROM {base}
ARG V=1
RUN echo run1 >> /counter/count && echo "v=$V" > /v
COPY app.txt /app.txt
RUN echo run2 >> /counter/count && cat /app.txt > /derived
WORKDIR /srv/app
RUN echo run3 >> /counter/count && touch /srv/app/ready
CMD ["cat", "/derived"]
"""


class Builds:
    """Builds the same context again and again into one registry, with a host
    directory bound at /counter that every RUN appends to."""

    def __init__(self, run_build, registry, base, context_dir, tmp_path):
        self.run_build = run_build
        self.registry = registry
        self.base = base
        self.ctx = context_dir
        self.counter = tmp_path / "counter"
        self.counter.mkdir()
        (self.counter / "count").write_text("")
        self.out = tmp_path / "out"
        self.out.mkdir()
        self.n = 0

    def runs(self):
        return (self.counter / "count").read_text().split()

    def build(self, extra=(), expect_rc=0, binds=()):
        self.n += 1
        ref = self.registry.ref(f"app:b{self.n}")
        res = self.run_build(
            self.ctx,
            ["--context=dir:///workspace", f"--destination={ref}", "--cache=true", "--cache-copy-layers",
             "--reproducible", "--insecure", *extra],
            binds=[(self.counter, "/counter"), (self.out, "/out"), *binds],
            env={"BENCHMARK_FILE": f"/out/report{self.n}.json"}, expect_rc=expect_rc)
        report = json.loads((self.out / f"report{self.n}.json").read_text()) if res.rc == 0 else None
        return res, ref, report


def cache_tags(registry, repo="app/cache"):
    status, _, body = registry.get(f"/v2/{repo}/tags/list")
    assert status == 200, body
    return json.loads(body)["tags"] or []


def put_blob(registry, repo, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    req = urllib.request.Request(f"{registry.url}/v2/{repo}/blobs/uploads/", method="POST")
    with urllib.request.urlopen(req) as resp:
        location = resp.headers["Location"]
    if location.startswith("/"):
        location = registry.url + location
    sep = "&" if "?" in location else "?"
    req = urllib.request.Request(f"{location}{sep}digest={digest}", data=data, method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 201
    return digest


def poison_diff_ids(registry, repo="app/cache"):
    """Rewrites every cache entry that has a layer so that its config claims a
    diff_id the layer does not have (the layer blob itself stays valid).
    Returns how many entries were changed."""
    changed = 0
    for tag in cache_tags(registry, repo):
        req = urllib.request.Request(f"{registry.url}/v2/{repo}/manifests/{tag}",
                                     headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        with urllib.request.urlopen(req) as resp:
            manifest = json.loads(resp.read())
        if not manifest["layers"]:
            continue
        status, _, cfg = registry.get(f"/v2/{repo}/blobs/{manifest['config']['digest']}")
        config = json.loads(cfg)
        config["rootfs"]["diff_ids"] = ["sha256:" + "0" * 64]
        data = json.dumps(config).encode()
        manifest["config"]["digest"] = put_blob(registry, repo, data)
        manifest["config"]["size"] = len(data)
        req = urllib.request.Request(f"{registry.url}/v2/{repo}/manifests/{tag}", data=json.dumps(manifest).encode(),
                                     method="PUT", headers={"Content-Type": manifest["mediaType"]})
        with urllib.request.urlopen(req) as resp:
            assert resp.status == 201
        changed += 1
    return changed


def steps_of(report):
    return [(s["instruction"].split()[0], s["cache"]) for s in report["stages"][-1]["steps"]]


def test_rebuild_runs_nothing_and_invalidates_from_the_changed_step(fresh_registry, busybox_image, context,
                                                                    run_build, pull_rootfs, tmp_path):
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": DOCKERFILE.format(base=base), "app.txt": "one\n"})
    b = Builds(run_build, fresh_registry, base, ctx, tmp_path)

    first, ref1, rep1 = b.build()
    assert b.runs() == ["run1", "run2", "run3"], first.describe()
    assert all(c == "miss" for _, c in steps_of(rep1) if _ in ("RUN", "COPY", "WORKDIR")), rep1
    # The default cache repository is the destination's + "/cache".
    tags = cache_tags(fresh_registry)
    assert len(tags) == 5, tags  # 3 RUN, COPY, WORKDIR

    # Same input, new sandbox: no RUN runs, the digest is the same, and the
    # base was never unpacked (every step of the stage came from the cache).
    second, ref2, rep2 = b.build()
    assert b.runs() == ["run1", "run2", "run3"], second.describe()
    assert k.image_digest(ref1) == k.image_digest(ref2)
    assert rep2["cache_hits"] == 5 and rep2["cache_misses"] == 0, rep2
    assert rep2["stages"][-1]["unpacked"] is False, rep2
    assert "Using caching version of cmd" in second.output
    rootfs = pull_rootfs(ref2)
    assert (rootfs / "derived").read_text() == "one\n"
    assert (rootfs / "v").read_text() == "v=1\n"
    assert (rootfs / "srv/app/ready").exists()
    assert (rootfs / "etc/kiln-base-release").read_text() == k.BASE_MARKER
    print(f"fully cached rebuild: {second.elapsed:.2f} s wall (sandbox included), "
          f"executor total {rep2['total_seconds']:.2f} s")

    # A changed COPY source: run1 still cached, COPY and everything after run.
    (ctx / "app.txt").write_text("two\n")
    third, ref3, rep3 = b.build()
    assert b.runs() == ["run1", "run2", "run3", "run2", "run3"], third.describe()
    assert steps_of(rep3)[1:4] == [("RUN", "hit"), ("COPY", "miss"), ("RUN", "miss")], rep3
    rootfs = pull_rootfs(ref3)
    assert (rootfs / "derived").read_text() == "two\n"
    assert (rootfs / "v").read_text() == "v=1\n"

    # A build arg the first RUN sees: invalidates from that RUN.
    fourth, ref4, rep4 = b.build(["--build-arg", "V=2"])
    assert b.runs()[5:] == ["run1", "run2", "run3"], fourth.describe()
    assert (pull_rootfs(ref4) / "v").read_text() == "v=2\n"

    # --dryrun: base digest, expanded steps and what the cache holds; runs nothing.
    dry_ref = fresh_registry.ref("app:dry")
    dry = b.run_build(ctx, ["--context=dir:///workspace", f"--destination={dry_ref}",
                            f"--cache-repo={fresh_registry.host}/app/cache", "--cache=true",
                            "--cache-copy-layers", "--reproducible", "--insecure", "--dryrun",
                            "--build-arg", "V=2"],
                      binds=[(b.counter, "/counter")])
    assert k.image_digest(base) in dry.output, dry.describe()
    assert dry.output.count("[cached, key ") == 5, dry.describe()
    assert "v=$V" in dry.output or "V=2" in dry.output, dry.describe()
    assert len(b.runs()) == 8
    assert not k.image_exists(dry_ref)

    # A proxy build arg is not part of the key (Docker's rule).
    fifth, ref5, rep5 = b.build(["--build-arg", "http_proxy=http://127.0.0.1:9"])
    assert len(b.runs()) == 8, fifth.describe()
    assert rep5["cache_misses"] == 0, rep5


def test_poisoned_cache_entry_is_refused_and_the_step_reruns(fresh_registry, busybox_image, context, run_build,
                                                            pull_rootfs, tmp_path):
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": DOCKERFILE.format(base=base), "app.txt": "one\n"})
    b = Builds(run_build, fresh_registry, base, ctx, tmp_path)
    _, ref1, _ = b.build()
    assert len(b.runs()) == 3
    assert poison_diff_ids(fresh_registry) >= 3

    res, ref2, rep = b.build(["--no-push-cache"])
    assert "Refusing cached layer" in res.output, res.describe()
    assert b.runs()[3:] == ["run1", "run2", "run3"], res.describe()
    # The re-run steps give the same reproducible image as the first build.
    assert k.image_digest(ref1) == k.image_digest(ref2)
    config = k.inspect_config(ref2)
    assert "sha256:" + "0" * 64 not in config["rootfs"]["diff_ids"]


def test_unreachable_cache_repo_only_warns(fresh_registry, busybox_image, context, run_build, pull_rootfs,
                                           tmp_path):
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": DOCKERFILE.format(base=base), "app.txt": "one\n"})
    b = Builds(run_build, fresh_registry, base, ctx, tmp_path)
    res, ref, rep = b.build([f"--cache-repo=127.0.0.1:{k.closed_port()}/cache", "--push-retry=0"])
    assert "Layer cache" in res.output and "not usable" in res.output, res.describe()
    assert b.runs() == ["run1", "run2", "run3"]
    assert (pull_rootfs(ref) / "derived").read_text() == "one\n"


def test_cache_ttl_expires_entries(fresh_registry, busybox_image, context, run_build, tmp_path):
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": DOCKERFILE.format(base=base), "app.txt": "one\n"})
    b = Builds(run_build, fresh_registry, base, ctx, tmp_path)
    b.build()
    time.sleep(1.5)
    # Entries are now over a second old: a 1 ns TTL has them all expired.
    res, _, rep = b.build(["--cache-ttl=1ns"])
    assert "has expired" in res.output, res.describe()
    assert b.runs()[3:] == ["run1", "run2", "run3"]


def test_multi_stage_copy_from_a_cached_stage(fresh_registry, busybox_image, context, run_build, pull_rootfs,
                                              tmp_path):
    base = busybox_image.push(fresh_registry)
    df = (f"FROM {base} AS builder\n"
          "RUN echo build >> /counter/count && echo artefact > /out.bin\n"
          f"FROM {base}\n"
          "COPY --from=builder /out.bin /app/out.bin\n"
          "RUN echo final >> /counter/count && cat /app/out.bin > /app/copied\n")
    ctx = context({"Dockerfile": df})
    b = Builds(run_build, fresh_registry, base, ctx, tmp_path)
    _, ref1, _ = b.build()
    assert b.runs() == ["build", "final"]
    res, ref2, rep = b.build()
    assert b.runs() == ["build", "final"], res.describe()
    assert k.image_digest(ref1) == k.image_digest(ref2)
    assert (pull_rootfs(ref2) / "app/copied").read_text() == "artefact\n"


def test_a_cached_stage_looks_up_every_key_in_one_round(fresh_registry, busybox_image, context, run_build,
                                                         pull_rootfs, tmp_path):
    """Cache lookahead (issue 20): every key of a stage is known before its
    first step, so a fully cached rebuild sends all its lookups at once. The
    cache repository is reached through a proxy that holds each manifest
    request for a while: sent one step at a time, at most one is ever held;
    sent together, all of them are."""
    base = busybox_image.push(fresh_registry)
    runs = "".join(f"RUN echo s{i} >> /counter/count && echo {i} > /f{i}\n" for i in range(1, 7))
    df = f"FROM {base}\n{runs}COPY app.txt /app.txt\nWORKDIR /srv\nCMD [\"cat\", \"/app.txt\"]\n"
    ctx = context({"Dockerfile": df, "app.txt": "one\n"})
    b = Builds(run_build, fresh_registry, base, ctx, tmp_path)
    _, ref1, _ = b.build([f"--cache-repo={fresh_registry.host}/app/cache"])
    assert len(b.runs()) == 6
    keys = 8  # six RUN, the COPY (--cache-copy-layers), the WORKDIR

    proxy = fp.FaultProxy(fresh_registry.host)
    try:
        held = proxy.arm(fp.Fault("delay", lambda m, p: "/v2/app/cache/manifests/" in p, count=1000, delay=0.5))
        res, ref2, rep = b.build([f"--cache-repo={proxy.host}/app/cache"])
        requests = list(proxy.requests)
    finally:
        proxy.close()
    assert len(b.runs()) == 6, res.describe()  # nothing ran
    assert rep["cache_hits"] == keys and rep["cache_misses"] == 0, rep
    heads = [p for m, p, _ in requests if m == "HEAD" and "/manifests/" in p]
    assert len(heads) == keys and len(set(heads)) == keys, requests  # each key asked once
    # One round: (nearly) all held at once; step by step it would be 1.
    assert held.peak >= keys - 1, (held.peak, requests)
    assert rep["stages"][-1]["cache_lookahead"] == keys, rep
    assert k.image_digest(ref1) == k.image_digest(ref2)
    assert (pull_rootfs(ref2) / "f6").read_text() == "6\n"
    print(f"8 cached steps behind a 0.5 s-per-manifest proxy: executor {rep['total_seconds']:.2f} s, "
          f"{held.peak} lookups in flight at once")


# ---------------------------------------------------------------------------
# --cache-repo=oci:/path: the cache in a local OCI layout (a CI cache volume)
# ---------------------------------------------------------------------------

def oci_tags(layout):
    index = json.loads((layout / "index.json").read_text())
    return [m["annotations"]["org.opencontainers.image.ref.name"] for m in index["manifests"]]


def test_oci_layout_cache_on_a_volume(fresh_registry, busybox_image, context, run_build, pull_rootfs, tmp_path):
    """The same rebuild as with a registry, the entries kept in a directory a
    CI job mounts: a second job runs nothing; the layout is a valid OCI
    layout (skopeo reads an entry); a damaged blob is refused and rebuilt."""
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": DOCKERFILE.format(base=base), "app.txt": "one\n"})
    b = Builds(run_build, fresh_registry, base, ctx, tmp_path)
    layout = tmp_path / "layer-cache"
    layout.mkdir()
    oci = ["--cache-repo=oci:/layer-cache"]
    volume = [(layout, "/layer-cache")]

    first, ref1, rep1 = b.build(oci, binds=volume)
    assert b.runs() == ["run1", "run2", "run3"], first.describe()
    assert "Using layer cache oci:/layer-cache" in first.output, first.describe()
    tags = oci_tags(layout)
    assert len(tags) == 5, tags  # 3 RUN, COPY, WORKDIR
    raw = k.run(["skopeo", "inspect", "--raw", f"oci:{layout}:{tags[0]}"]).stdout
    assert json.loads(raw)["mediaType"] == "application/vnd.oci.image.manifest.v1+json"

    second, ref2, rep2 = b.build(oci, binds=volume)
    assert b.runs() == ["run1", "run2", "run3"], second.describe()
    assert rep2["cache_hits"] == 5 and rep2["cache_misses"] == 0, rep2
    assert rep2["stages"][-1]["unpacked"] is False, rep2
    assert k.image_digest(ref1) == k.image_digest(ref2)
    assert (pull_rootfs(ref2) / "derived").read_text() == "one\n"

    # Every layer blob damaged: each hit is refused, the steps run again and
    # give the same reproducible image.
    index = json.loads((layout / "index.json").read_text())
    damaged = 0
    for m in index["manifests"]:
        manifest = json.loads((layout / "blobs/sha256" / m["digest"].split(":")[1]).read_text())
        for layer in manifest["layers"]:
            (layout / "blobs/sha256" / layer["digest"].split(":")[1]).write_bytes(b"not the layer")
            damaged += 1
    assert damaged >= 3
    third, ref3, _ = b.build([*oci, "--no-push-cache"], binds=volume)
    assert "Refusing cached layer" in third.output, third.describe()
    assert b.runs()[3:] == ["run1", "run2", "run3"], third.describe()
    assert k.image_digest(ref3) == k.image_digest(ref1)


def test_oci_layout_cache_inside_the_root_is_not_in_the_image(fresh_registry, busybox_image, context, run_build,
                                                              pull_rootfs, tmp_path):
    """A cache directory that is not a mount is written while steps run; no
    snapshot may take it into the image."""
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": DOCKERFILE.format(base=base), "app.txt": "one\n"})
    b = Builds(run_build, fresh_registry, base, ctx, tmp_path)
    res, ref, _ = b.build(["--cache-repo=oci:/var/kiln-layer-cache"])
    assert "Using layer cache oci:/var/kiln-layer-cache" in res.output, res.describe()
    rootfs = pull_rootfs(ref)
    assert not (rootfs / "var/kiln-layer-cache").exists()
    assert (rootfs / "derived").read_text() == "one\n"


def test_oci_layout_cache_needs_an_absolute_path(fresh_registry, busybox_image, context, run_build, tmp_path):
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": DOCKERFILE.format(base=base), "app.txt": "one\n"})
    b = Builds(run_build, fresh_registry, base, ctx, tmp_path)
    res, _, _ = b.build(["--cache-repo=oci:layer-cache"], expect_rc="fail")
    assert "--cache-repo 'oci:layer-cache'" in res.output and "oci:/absolute/path" in res.output, res.describe()
    assert b.runs() == []


# ---------------------------------------------------------------------------
# COPY --link: its cached layer is reused on another base (a rebase)
# ---------------------------------------------------------------------------

def file_steps(report):
    return [s for s in steps_of(report) if s[0] in ("RUN", "COPY", "ADD", "WORKDIR")]


def test_copy_link_layer_is_reused_after_a_base_change(fresh_registry, busybox_image, context, run_build,
                                                       pull_rootfs, tmp_path):
    base1 = busybox_image.push(fresh_registry)
    # Another FROM digest, with something of its own under the destination.
    base2 = fresh_registry.ref("base2:1")
    run_build(context({"Dockerfile": f"FROM {base1}\nRUN mkdir -p /app && echo old > /app/old.txt\n"}),
              ["--context=dir:///workspace", f"--destination={base2}", "--insecure"])
    df = ("ARG BASE\nFROM $BASE\nCOPY --link app.txt /app/\n"
          "RUN echo run >> /counter/count && ls /app > /listing\n")
    ctx = context({"Dockerfile": df, "app.txt": "one\n"})
    b = Builds(run_build, fresh_registry, base1, ctx, tmp_path)

    first, ref1, rep1 = b.build(["--build-arg", f"BASE={base1}"])
    assert file_steps(rep1) == [("COPY", "miss"), ("RUN", "miss")], rep1

    second, ref2, rep2 = b.build(["--build-arg", f"BASE={base2}"])
    # The --link layer comes from the cache; the RUN after it sees a new base.
    assert file_steps(rep2) == [("COPY", "hit"), ("RUN", "miss")], rep2
    assert "Using the cached --link layer" in second.output, second.describe()
    assert b.runs() == ["run", "run"], second.describe()
    n1 = len(k.inspect_manifest(base1)["layers"])
    n2 = len(k.inspect_manifest(base2)["layers"])
    link1 = k.inspect_manifest(ref1)["layers"][n1]["digest"]
    link2 = k.inspect_manifest(ref2)["layers"][n2]["digest"]
    assert link1 == link2
    rootfs = pull_rootfs(ref2)
    assert (rootfs / "app/app.txt").read_text() == "one\n"
    assert (rootfs / "app/old.txt").read_text() == "old\n"
    assert (rootfs / "listing").read_text() == "app.txt\nold.txt\n"

    # --dryrun names the same --link key as present.
    dry = b.run_build(ctx, ["--context=dir:///workspace", f"--destination={fresh_registry.ref('app:dry')}",
                            "--cache=true", "--cache-copy-layers", "--reproducible", "--insecure", "--dryrun",
                            "--build-arg", f"BASE={base2}"])
    assert "[cached, --link key " in dry.output, dry.describe()

    # A plain COPY in its place chains on the base: a miss on base2.
    (ctx / "Dockerfile").write_text(df.replace("COPY --link", "COPY"))
    b.build(["--build-arg", f"BASE={base1}"])
    third, _, rep3 = b.build(["--build-arg", f"BASE={base2}"])
    assert file_steps(rep3) == [("COPY", "miss"), ("RUN", "miss")], rep3


def test_materialize_unpacks_a_fully_cached_target(fresh_registry, busybox_image, context, run_build, tmp_path):
    """A fully cached rebuild leaves the root alone; --materialize puts the
    target's files there anyway (for tools that inspect it afterwards)."""
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": DOCKERFILE.format(base=base), "app.txt": "one\n"})
    b = Builds(run_build, fresh_registry, base, ctx, tmp_path)
    b.build()
    for materialize, root in ((False, tmp_path / "root-plain"), (True, tmp_path / "root-materialized")):
        b.n += 1
        extra = ["--materialize"] if materialize else []
        res = run_build(ctx, ["--context=dir:///workspace", f"--destination={fresh_registry.ref(f'app:m{b.n}')}",
                              "--cache=true", "--cache-copy-layers", "--reproducible", "--insecure", *extra],
                        binds=[(b.counter, "/counter"), (b.out, "/out")], root=root,
                        env={"BENCHMARK_FILE": f"/out/report{b.n}.json"})
        rep = json.loads((b.out / f"report{b.n}.json").read_text())
        assert rep["cache_hits"] == 5 and rep["cache_misses"] == 0, rep
        assert rep["stages"][-1]["unpacked"] is materialize, rep
        assert (root / "derived").exists() is materialize, res.describe()
        if materialize:
            assert (root / "derived").read_text() == "one\n"
            assert (root / "srv/app/ready").exists()
            assert (root / "etc/kiln-base-release").read_text() == k.BASE_MARKER
    assert b.runs() == ["run1", "run2", "run3"], "no step ran again"
