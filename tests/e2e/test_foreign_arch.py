"""A kiln executor built for another architecture (arm64 by default, see
`make e2e`), run on this machine under qemu-user through binfmt_misc: it
builds a multi-step image from a base of its own architecture (Debian's
busybox-static for that architecture), so every RUN executes foreign
binaries too, pushes it, and skopeo/umoci check the result."""
import json

import kiln_e2e as k

UNAME = {"arm64": "aarch64", "s390x": "s390x", "ppc64le": "ppc64le", "ppc64": "ppc64",
         "riscv64": "riscv64", "amd64": "x86_64"}


def test_foreign_executor_builds_and_pushes(foreign_executor, registry_plain, context, pull_rootfs,
                                            tmp_path):
    executor, arch = foreign_executor
    base = k.foreign_busybox_base(registry_plain, arch, tmp_path)
    ctx = context({"Dockerfile": f"""\
FROM {base} AS build
RUN uname -m > /machine && mkdir -p /out && echo built > /out/a.txt
COPY greeting.txt /out/
RUN sha256sum /out/greeting.txt > /out/sum

FROM {base}
ENV STAGE=final
COPY --from=build /machine /out/ /result/
WORKDIR /result
RUN cat a.txt greeting.txt > joined.txt && echo "$STAGE" >> joined.txt
""", "greeting.txt": "hello from the context\n"})
    dest = registry_plain.ref(f"foreign-{arch}:v1")
    argv = k.sandbox_argv(executor=executor, context=ctx,
                          args=["--context=dir:///workspace", f"--destination={dest}",
                                *registry_plain.insecure_args()])
    res = k.check_rc(k.run_process(argv, timeout=900), 0)

    config = k.inspect_config(dest)
    assert config["architecture"] == arch, config
    # skopeo picks the image for that architecture as a client on it would.
    info = json.loads(k.run(["skopeo", "inspect", "--override-arch", arch, "--tls-verify=false",
                             f"docker://{dest}"]).stdout)
    assert info["Architecture"] == arch, info
    rootfs = pull_rootfs(dest)
    # The RUN steps ran the base's own (foreign) busybox.
    assert (rootfs / "result/machine").read_text().strip() == UNAME[arch], res.describe()
    assert (rootfs / "result/joined.txt").read_text() == "built\nhello from the context\nfinal\n"
    sums = (rootfs / "result/sum").read_text().split()
    assert sums[0] == k.sha256_digest(b"hello from the context\n").split(":")[1]
    assert config["config"]["WorkingDir"] == "/result"


def test_index_of_images_built_by_each_architectures_executor(foreign_executor, executor, registry_plain,
                                                               context, tmp_path):
    """issue 19 §3 end to end: each platform's image built by the executor of
    that architecture (as a CI job per architecture would), then joined by
    `executor manifest`; skopeo picks each platform's image from the index."""
    foreign, arch = foreign_executor
    bases = {arch: k.foreign_busybox_base(registry_plain, arch, tmp_path),
             k.host_arch(): k.BusyboxImage(tmp_path / "host-base").push(registry_plain, "docker")}
    refs = []
    for exe, a in ((executor, k.host_arch()), (foreign, arch)):
        ctx = context({"Dockerfile": f"FROM {bases[a]}\nRUN uname -m > /machine\n"})
        ref = registry_plain.ref(f"per-arch/app:1-{a}")
        argv = k.sandbox_argv(executor=exe, context=ctx,
                              args=["--context=dir:///workspace", f"--destination={ref}",
                                    *registry_plain.insecure_args()])
        k.check_rc(k.run_process(argv, timeout=900), 0)
        refs.append(ref)
    index = registry_plain.ref("per-arch/app:1")
    k.run([str(executor), "manifest", *refs, f"--destination={index}", *registry_plain.insecure_args()],
          env={"PATH": "/usr/bin:/bin", "DOCKER_CONFIG": str(tmp_path / "no-config")})
    entries = {m["platform"]["architecture"]: m["digest"] for m in k.inspect_manifest(index)["manifests"]}
    assert sorted(entries) == sorted([k.host_arch(), arch]), entries
    for a in (k.host_arch(), arch):
        info = json.loads(k.run(["skopeo", "inspect", "--override-arch", a, "--tls-verify=false",
                                 f"docker://{index}"]).stdout)
        assert info["Architecture"] == a, info
        # skopeo's "Digest" is the index's: each platform's image by its entry.
        rootfs = k.pull_rootfs(f"{index.rsplit(':', 1)[0]}@{entries[a]}", tmp_path / f"pulled-{a}")
        assert (rootfs / "machine").read_text().strip() == UNAME[a]
