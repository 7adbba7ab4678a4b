"""A kiln executor built for another architecture (arm64 by default, see
`make e2e`), run on this machine under qemu-user through binfmt_misc: it
builds a multi-step image from a base of its own architecture (Debian's
busybox-static for that architecture), so every RUN executes foreign
binaries too, pushes it, and skopeo/umoci check the result."""
import json
from pathlib import Path

import kiln_e2e as k

REPO = Path(__file__).resolve().parents[2]
UNAME = {"arm64": "aarch64", "s390x": "s390x", "ppc64le": "ppc64le", "ppc64": "ppc64",
         "riscv64": "riscv64", "amd64": "x86_64"}


def foreign_busybox_base(registry, arch, workdir: Path) -> str:
    busybox = k.run([str(REPO / "scripts/foreign-busybox.sh"), arch]).stdout.strip()
    image = k.write_oci_layout(workdir / f"busybox-{arch}", k.busybox_layers(busybox),
                               history=k.BUSYBOX_HISTORY, config_extra={"Cmd": ["sh"]},
                               arch=arch)
    ref = registry.ref(f"busybox-{arch}:latest")
    k.push_layout(image, ref)
    return ref


def test_foreign_executor_builds_and_pushes(foreign_executor, registry_plain, context, pull_rootfs,
                                            tmp_path):
    executor, arch = foreign_executor
    base = foreign_busybox_base(registry_plain, arch, tmp_path)
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
