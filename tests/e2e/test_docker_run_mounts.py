"""RUN --mount through a real Docker daemon (issue 16, section 2): kiln's
debug image loaded into docker.io 20.10 and run the way GitLab's docker
executor runs it (`--entrypoint ""`, Docker's default capabilities and
seccomp profile: no mount namespace), building a Dockerfile with cache,
secret, bind and tmpfs mounts twice, the cache on a Docker volume. The
second build sees what the first left in the cache; the image is pushed to
the loopback registry and run by Docker; no secret byte is in any blob."""
import hashlib
import secrets

import kiln_e2e as k
from test_run_mounts import assert_nowhere, image_blobs, layers_only

DOCKERFILE = """\
FROM {base} AS builder
RUN mkdir /out && echo from-stage > /out/artifact
FROM {base}
ARG BUILDNO
RUN --mount=type=cache,target=/root/.cache/app \\
    sh -c 'cat /root/.cache/app/log > /seen.txt 2>/dev/null; echo "build $BUILDNO cache-marker" >> /root/.cache/app/log'
RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -d' ' -f1 > /secret.sha
RUN --mount=target=/mnt/ctx,source=src cat /mnt/ctx/hello.txt > /ctx-copy.txt
RUN --mount=type=bind,from=builder,source=/out,target=/mnt/stage cat /mnt/stage/artifact > /stage-copy.txt
RUN --mount=type=tmpfs,target=/scratch sh -c 'echo tmpfs-marker > /scratch/x && ls -A /scratch > /tmpfs.txt'
CMD ["sh", "-c", "cat /seen.txt /secret.sha /ctx-copy.txt /stage-copy.txt /tmpfs.txt; ls -d /run /mnt /scratch /root/.cache 2>/dev/null | wc -l"]
"""


def test_run_mounts_in_docker_with_default_capabilities(docker, images, registry_plain, busybox_image, tmp_path):
    loaded = docker.load(images.dir / "debug.tar")
    debug = f"kiln/debug:{images.version}"
    assert debug in loaded, loaded
    base = busybox_image.push(registry_plain)
    secret_value = "kiln-docker-secret-" + secrets.token_hex(16)
    secret_file = tmp_path / "token"
    secret_file.write_text(secret_value)
    ctx = k.make_context(tmp_path / "ctx", {"Dockerfile": DOCKERFILE.format(base=base),
                                            "src/hello.txt": "hello from the context\n"})
    volume = "kiln-e2e-run-cache-" + secrets.token_hex(4)
    docker.cli(["volume", "create", volume])
    try:
        outputs = []
        for n in (1, 2):
            dest = registry_plain.ref(f"docker-mounts:b{n}")
            res = docker.run(debug, ["/kaniko/executor", "--context=dir:///workspace", f"--destination={dest}",
                                     *registry_plain.insecure_args(), "--cache-dir=/cache",
                                     "--secret=id=tok,src=/kiln-secret", f"--build-arg=BUILDNO={n}"],
                             entrypoint="", check=False,
                             args=["-v", f"{ctx}:/workspace", "-v", f"{volume}:/cache",
                                   "-v", f"{secret_file}:/kiln-secret:ro"])
            log = res.stdout + res.stderr
            assert res.returncode == 0, log[-4000:]
            assert "RUN --mount by file operations in the root" in log, log[-4000:]
            assert "Operation not permitted" in log, "the probe's refusal is named"
            assert secret_value not in log
            # Docker pulls the image from the loopback registry and runs its CMD.
            outputs.append(docker.run(dest).stdout)
            blobs = image_blobs(dest, tmp_path / f"b{n}")
            assert_nowhere(secret_value, blobs)
            assert_nowhere(f"build {n} cache-marker", layers_only(blobs))
            assert_nowhere("tmpfs-marker", layers_only(blobs))
        sha = hashlib.sha256(secret_value.encode()).hexdigest()
        tail = f"{sha}\nhello from the context\nfrom-stage\nx\n0\n"
        assert outputs[0] == tail, outputs[0]
        assert outputs[1] == "build 1 cache-marker\n" + tail, "the cache persists in the volume: " + outputs[1]
        # The volume holds both builds' lines.
        vol = docker.run(debug, ["/busybox/sh", "-c", "cat /cache/run-cache/*/log"], entrypoint="",
                         args=["-v", f"{volume}:/cache"]).stdout
        assert vol == "build 1 cache-marker\nbuild 2 cache-marker\n", vol
    finally:
        docker.cli(["volume", "rm", "-f", volume], check=False)
