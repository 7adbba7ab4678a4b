"""The base-image cache: `warmer` fills a directory, `executor --cache=true
--cache-dir` builds from it, also when the registry is gone (kaniko's
warmer and --cache-dir; kaniko reads the cache only with --cache=true)."""
import json
import tarfile

import kiln_e2e as k


def run_warmer(warmer, cache_dir, args, *, context=None, expect_rc=0):
    argv = k.sandbox_argv(warmer=warmer, context=context, binds=[(cache_dir, "/cache")],
                          cmd=["/kaniko/warmer", *args])
    return k.check_rc(k.run_process(argv, timeout=300), expect_rc)


def tar_files(tarball, tmp_path, name):
    """The root filesystem of a docker-archive, unpacked."""
    layout = tmp_path / f"layout-{name}"
    k.run(["skopeo", "copy", "--quiet", f"docker-archive:{tarball}", f"oci:{layout}:x"])
    return k.unpack_layout(f"{layout}:x", tmp_path / f"rootfs-{name}")


def offline_build(run_build, context, outdir, base, tag, extra=()):
    ctx = context({"Dockerfile": f"FROM {base}\nCOPY f /f\n", "f": f"{tag}\n"})
    return run_build(ctx, ["--context=dir:///workspace", "--no-push", f"--tar-path=/output/{tag}.tar",
                           "--cache=true", "--cache-dir=/cache", "--insecure-pull", *extra],
                     binds=[(outdir, "/output"), (outdir.parent / "cache", "/cache")],
                     expect_rc=None)


def test_warm_then_build_with_registry_stopped(warmer, fresh_registry, busybox_image, context, run_build,
                                               outdir, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    tagged = busybox_image.push(fresh_registry)
    digest = k.image_digest(tagged)
    pinned = tagged.rsplit(":", 1)[0] + "@" + digest
    res = run_warmer(warmer, cache, ["--image", tagged, "-i", pinned, "--insecure-pull"])
    assert digest in res.output, res.describe()
    assert list((cache / "base-images/refs").glob("*.json")), "no reference recorded"
    assert (cache / "base-images/images" / (digest.split(":")[1] + ".json")).is_file()

    # Warming again without --force fetches nothing new.
    again = run_warmer(warmer, cache, ["-i", tagged, "--insecure-pull"])
    assert "already in cache" in again.output, again.describe()

    fresh_registry.stop()

    by_digest = offline_build(run_build, context, outdir, pinned, "by-digest")
    assert by_digest.rc == 0, by_digest.describe()
    assert f"Found {digest} in local cache" in by_digest.output, by_digest.describe()
    rootfs = tar_files(outdir / "by-digest.tar", tmp_path, "digest")
    assert (rootfs / "f").read_text() == "by-digest\n"
    assert (rootfs / "etc/kiln-base-release").read_text() == k.BASE_MARKER

    # A tag cached within --cache-ttl needs no registry either.
    by_tag = offline_build(run_build, context, outdir, tagged, "by-tag")
    assert by_tag.rc == 0, by_tag.describe()
    assert (tar_files(outdir / "by-tag.tar", tmp_path, "tag") / "etc/kiln-base-release").is_file()

    # kaniko's rule: without --cache=true the cache is not read, so the
    # stopped registry is needed and the build fails naming the image.
    ctx = context({"Dockerfile": f"FROM {pinned}\n"})
    res = run_build(ctx, ["--context=dir:///workspace", "--no-push", "--cache-dir=/cache", "--insecure-pull"],
                    binds=[(cache, "/cache")], expect_rc="fail")
    assert "in local cache" not in res.output
    assert fresh_registry.host in res.output, res.describe()


def test_damaged_cache_entry_is_ignored_and_refetched(warmer, fresh_registry, busybox_image, context,
                                                      run_build, outdir, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    tagged = busybox_image.push(fresh_registry)
    digest = k.image_digest(tagged)
    run_warmer(warmer, cache, ["-i", tagged, "--insecure-pull"])
    manifest = json.loads(k.inspect_raw_manifest(tagged))
    layer = manifest["layers"][-1]["digest"]
    blob = cache / "base-images/blobs/sha256" / layer.split(":")[1]
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size: only the digest check sees it
    blob.write_bytes(bytes(data))

    res = offline_build(run_build, context, outdir, tagged, "damaged")
    assert res.rc == 0, res.describe()
    assert "Not using cached" in res.output and layer in res.output, res.describe()
    rootfs = tar_files(outdir / "damaged.tar", tmp_path, "damaged")
    assert (rootfs / "etc/kiln-base-release").read_text() == k.BASE_MARKER

    # The warmer notices too (without --force), and repairs the entry.
    res = run_warmer(warmer, cache, ["-i", tagged, "--insecure-pull"])
    assert "already in cache" not in res.output, res.describe()
    assert k.sha256_digest(blob.read_bytes()) == layer
    fresh_registry.stop()
    res = offline_build(run_build, context, outdir, tagged, "repaired")
    assert res.rc == 0 and f"Found {digest} in local cache" in res.output, res.describe()
    assert "Not using cached" not in res.output


def test_warmer_against_down_registry_fails_naming_image(warmer, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    image = f"127.0.0.1:{k.closed_port()}/nowhere/base:1"
    res = run_warmer(warmer, cache, ["--image", image], expect_rc="fail")
    assert image in res.output, res.describe()
    assert not list(cache.glob("base-images/refs/*.json")), "nothing may be recorded for a failed image"


def test_warmer_without_images_is_a_usage_error(warmer, tmp_path):
    res = run_warmer(warmer, tmp_path, [], expect_rc=1)
    assert "--image" in res.output, res.describe()


def test_dockerfile_warming(warmer, fresh_registry, busybox_image, context, run_build, outdir, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    base = busybox_image.push(fresh_registry)
    repo, tag = base.rsplit(":", 1)
    dockerfile = (f"ARG BASE={repo}:nope\n"
                  "FROM ${BASE} AS first\nLABEL stage=first\n"
                  "FROM first AS second\n"
                  "FROM scratch AS empty\n"
                  "FROM ${BASE}\nCOPY f /f\n")
    ctx = context({"Dockerfile": dockerfile, "f": "from dockerfile\n"})
    res = run_warmer(warmer, cache, ["-d", "/workspace/Dockerfile", f"--build-arg=BASE={base}", "--insecure-pull"],
                     context=ctx)
    assert "nope" not in res.output, "the build arg must override the ARG default"
    refs = [json.loads(p.read_text()) for p in (cache / "base-images/refs").glob("*.json")]
    assert [r["reference"] for r in refs] == [base], refs  # once, no stage names, no scratch

    fresh_registry.stop()
    res = run_build(ctx, ["--context=dir:///workspace", "--no-push", "--tar-path=/output/df.tar", "--cache=true",
                          "--cache-dir=/cache", f"--build-arg=BASE={base}", "--target=first",
                          "--insecure-pull"],
                    binds=[(outdir, "/output"), (cache, "/cache")])
    assert "in local cache" in res.output, res.describe()
    with tarfile.open(outdir / "df.tar") as tf:
        assert json.load(tf.extractfile("manifest.json"))
