"""Eight executors in eight sandboxes build small, distinct Dockerfiles and
push to one registry at the same time. All must succeed, and every pushed
digest must verify: the digest each executor reports (--digest-file) is the
one the tag resolves to, and every blob under it exists and hashes right.
"""
import subprocess
import time

import kiln_e2e as k
import registry_check as rc

N = 8


def test_eight_concurrent_builds(executor, fresh_registry, busybox_image, context, tmp_path):
    base = busybox_image.push(fresh_registry)
    procs = []
    start = time.monotonic()
    for i in range(N):
        ctx = context({
            "Dockerfile": (f"FROM {base}\nCOPY data.txt /data-{i}.txt\n"
                           f"RUN echo build-{i} > /built-{i} && cat /data-{i}.txt >> /built-{i}\n"
                           f"ENV BUILD={i}\n"),
            "data.txt": f"payload of build {i}\n" * (i + 1),
        })
        out = tmp_path / f"out-{i}"
        out.mkdir()
        argv = k.sandbox_argv(executor=executor, context=ctx, binds=[(out, "/output")],
                              args=["--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace",
                                    f"--destination={fresh_registry.ref(f'load-{i}:v1')}",
                                    "--digest-file=/output/digest", *fresh_registry.insecure_args()])
        procs.append((i, out, subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                               stdin=subprocess.DEVNULL, start_new_session=True)))
    results = []
    for i, out, p in procs:
        log, _ = p.communicate(timeout=180)
        results.append((i, out, p.returncode, log.decode(errors="replace")))
    wall = time.monotonic() - start
    for i, out, code, log in results:
        assert code == 0, f"build {i} failed (rc={code}):\n{log[-3000:]}"
    digests = set()
    for i, out, _, _ in results:
        reported = (out / "digest").read_text().strip()
        assert rc.verify_image(fresh_registry, f"load-{i}:v1") == reported
        digests.add(reported)
        cfg = k.inspect_config(fresh_registry.ref(f"load-{i}:v1"))
        assert f"BUILD={i}" in cfg["config"]["Env"]
    assert len(digests) == N, "distinct Dockerfiles gave the same image"
    rc.verify_all_tags(fresh_registry)
    print(f"\nload: {N} concurrent builds pushed and verified, wall time {wall:.1f} s")
