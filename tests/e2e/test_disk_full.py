"""Running out of disk while a layer is written: /kaniko/work (where the
executor writes its layers) is a 2 MiB tmpfs and the build COPYs 6 MiB of
incompressible bytes. The build must fail with ENOSPC named together with the
path being written, and push nothing: no tag, and every tag the registry
holds still points at a whole image.
"""
import os

import kiln_e2e as k
import registry_check as rc


def test_enospc_while_writing_a_layer(executor, fresh_registry, busybox_image, context):
    base = busybox_image.push(fresh_registry)
    ctx = context({"Dockerfile": f"FROM {base}\nCOPY big.bin /big.bin\n", "big.bin": os.urandom(6 << 20)})
    dest = fresh_registry.ref("disk-full:v1")
    argv = k.sandbox_argv(executor=executor, context=ctx,
                          args=["--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace",
                                f"--destination={dest}", *fresh_registry.insecure_args()])
    # sandbox.sh options go before "--": right after "bash sandbox.sh".
    argv[2:2] = ["--tmpfs", "/kaniko/work:2m"]
    res = k.run_process(argv, timeout=120)
    assert res.rc != 0, res.describe()
    assert "No space left on device" in res.output, res.describe()
    lines = [l for l in res.output.splitlines() if "No space left on device" in l]
    assert any("/kaniko/work/" in l for l in lines), "the error does not name the path:\n" + "\n".join(lines)
    print("\n" + lines[-1])
    assert not k.image_exists(dest), "a tag was pushed although the layer could not be written"
    assert "disk-full:v1" not in rc.tags(fresh_registry)
    rc.verify_all_tags(fresh_registry)
