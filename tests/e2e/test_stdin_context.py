"""`--context=tar://stdin`: a gzip tar piped into the executor, as
`tar cz . | executor --context tar://stdin` does in CI; an empty stdin is
a clear error, not a hang."""
import io
import tarfile

import kiln_e2e as k


def targz(files: dict) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_context_piped_on_stdin(executor, registry_plain, busybox_image, tmp_path, pull_rootfs):
    base = busybox_image.push(registry_plain)
    ref = registry_plain.ref("stdin-context:1")
    data = targz({"Dockerfile": f"FROM {base}\nCOPY hello.txt /hello.txt\n", "hello.txt": "from stdin\n"})
    argv = k.sandbox_argv(executor=executor, args=["--context=tar://stdin", f"--destination={ref}",
                                                    *registry_plain.insecure_args()])
    res = k.check_rc(k.run_process(argv, stdin_data=data, timeout=300), 0)
    assert "tar://stdin" in res.output, res.describe()
    assert (pull_rootfs(ref) / "hello.txt").read_text() == "from stdin\n"


def test_empty_stdin_is_an_error(executor, registry_plain, tmp_path):
    argv = k.sandbox_argv(executor=executor, args=["--context=tar://stdin", "--no-push"])
    res = k.check_rc(k.run_process(argv, stdin_data=b"", timeout=120), "fail")
    assert "stdin was empty" in res.output, res.describe()
