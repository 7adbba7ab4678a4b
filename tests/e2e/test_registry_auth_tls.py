"""Registries over plain HTTP, TLS with a private CA, and Basic auth."""
import re
import secrets

import pytest

import kiln_e2e as k

CERT_ERROR = re.compile(r"x509|certificate|unknown authority|verif", re.I)


def copy_context(context, base, text):
    return context({"Dockerfile": f"FROM {base}\nCOPY f /f\n", "f": text})


# --- plain HTTP ---------------------------------------------------------------

@pytest.mark.parametrize("flags", [
    ["--insecure", "--insecure-pull"],
    ["--insecure-registry={host}"],
    # go-containerregistry (so kaniko) falls back to plain HTTP for 127.0.0.1
    # and localhost registries after HTTPS fails, without any flag.
    [],
], ids=["insecure+insecure-pull", "insecure-registry", "loopback-fallback"])
def test_plain_http_registry(flags, registry_plain, busybox_image, context, run_build, pull_rootfs):
    base = busybox_image.push(registry_plain)
    ctx = copy_context(context, base, "plain\n")
    dest = registry_plain.ref(f"plain-{len(flags)}:v1")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}",
                    *[f.format(host=registry_plain.host) for f in flags]])
    assert (pull_rootfs(dest) / "f").read_text() == "plain\n"


# --- TLS ----------------------------------------------------------------------

def test_tls_with_ca_in_bundle(registry_tls, busybox_image, base_flavour, context, run_build,
                               pull_rootfs):
    """The CA appended to /kaniko/ssl/certs/ca-certificates.crt; the registry is
    addressed by IP, so the certificate's IP subjectAltName must match."""
    base = busybox_image.push(registry_tls, base_flavour)
    ctx = copy_context(context, base, "tls\n")
    dest = registry_tls.ref(f"tls-{base_flavour}:v1")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}"], ca=registry_tls.ca)
    assert (pull_rootfs(dest) / "f").read_text() == "tls\n"


def test_tls_ca_appended_by_ci_script(registry_tls, busybox_image, context, run_build, pull_rootfs):
    """GitLab style: the job script (debug image, busybox shell) appends the CA,
    then runs /kaniko/executor with --context/--dockerfile/--destination."""
    base = busybox_image.push(registry_tls)
    ctx = context({"Dockerfile": f"FROM {base}\nCOPY f /f\n", "f": "gitlab\n",
                   "ca.crt": registry_tls.ca.read_text()})
    dest = registry_tls.ref("tls-gitlab:v1")
    script = ('cat "$0/ca.crt" >> /kaniko/ssl/certs/ca-certificates.crt && '
              'exec /kaniko/executor --context "$0" --dockerfile "$0/Dockerfile" --destination "$1"')
    run_build(ctx, cmd=["/busybox/sh", "-c", script, "/workspace", dest], busybox=True)
    assert (pull_rootfs(dest) / "f").read_text() == "gitlab\n"


def test_tls_without_ca_fails(registry_tls, busybox_image, context, run_build):
    base = busybox_image.push(registry_tls)
    ctx = copy_context(context, base, "no ca\n")
    dest = registry_tls.ref("tls-no-ca:v1")
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}"], expect_rc="fail")
    assert CERT_ERROR.search(res.output), res.describe()
    assert not k.image_exists(dest)


@pytest.mark.parametrize("flags", [
    ["--skip-tls-verify", "--skip-tls-verify-pull"],
    ["--skip-tls-verify-registry={host}"],
], ids=["skip-tls-verify+pull", "skip-tls-verify-registry"])
def test_tls_skip_verify(flags, registry_tls, busybox_image, context, run_build, pull_rootfs):
    base = busybox_image.push(registry_tls)
    ctx = copy_context(context, base, "skip\n")
    dest = registry_tls.ref(f"tls-skip-{len(flags)}:v1")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}",
                    *[f.format(host=registry_tls.host) for f in flags]])
    assert (pull_rootfs(dest) / "f").read_text() == "skip\n"


def test_skip_tls_verify_is_for_push(registry_plain, registry_tls, busybox_image, context,
                                     run_build, pull_rootfs):
    """--skip-tls-verify alone lets the push through; the base comes over plain HTTP."""
    base = busybox_image.push(registry_plain)
    ctx = copy_context(context, base, "push only\n")
    dest = registry_tls.ref("tls-skip-push:v1")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", "--insecure-pull",
                    "--skip-tls-verify"])
    assert (pull_rootfs(dest) / "f").read_text() == "push only\n"


def test_skip_tls_verify_pull_with_no_push(registry_tls, busybox_image, context, run_build, outdir):
    base = busybox_image.push(registry_tls)
    ctx = copy_context(context, base, "pull only\n")
    run_build(ctx, ["--context=dir:///workspace", "--no-push", "--skip-tls-verify-pull",
                    "--tar-path=/output/image.tar"], binds=[(outdir, "/output")])
    assert (outdir / "image.tar").stat().st_size > 0


# --- Basic auth ---------------------------------------------------------------

@pytest.mark.parametrize("key_style", ["host:port", "https://host:port"])
def test_auth_with_docker_config(key_style, registry_auth, busybox_image, context, run_build,
                                 pull_rootfs, tmp_path):
    base = busybox_image.push(registry_auth)
    ctx = copy_context(context, base, "auth\n")
    dest = registry_auth.ref(f"auth-{'url' if '//' in key_style else 'host'}:v1")
    key = registry_auth.host if key_style == "host:port" else f"https://{registry_auth.host}"
    cfg = registry_auth.docker_config(tmp_path / "config.json", key=key)
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}"],
                    docker_config=cfg, ca=registry_auth.ca)
    assert (pull_rootfs(dest) / "f").read_text() == "auth\n"
    assert registry_auth.password not in res.output


def test_auth_docker_config_env(registry_auth, busybox_image, context, run_build, pull_rootfs,
                                tmp_path):
    """DOCKER_CONFIG pointing elsewhere (a mounted secret) is honoured."""
    base = busybox_image.push(registry_auth)
    ctx = copy_context(context, base, "env\n")
    dest = registry_auth.ref("auth-env:v1")
    secret_dir = tmp_path / "secret"
    registry_auth.docker_config(secret_dir / "config.json")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}"], ca=registry_auth.ca,
              binds=[(secret_dir, "/secret/docker")], env={"DOCKER_CONFIG": "/secret/docker"})
    assert (pull_rootfs(dest) / "f").read_text() == "env\n"


@pytest.mark.parametrize("creds", ["wrong-password", "no-config"])
def test_auth_failure(creds, registry_auth, busybox_image, context, run_build, tmp_path):
    base = busybox_image.push(registry_auth)
    ctx = copy_context(context, base, "denied\n")
    dest = registry_auth.ref(f"auth-{creds}:v1")
    wrong = "Wr0ng-" + secrets.token_urlsafe(12)
    cfg = None
    if creds == "wrong-password":
        cfg = registry_auth.docker_config(tmp_path / "config.json", password=wrong)
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}"],
                    docker_config=cfg, ca=registry_auth.ca, expect_rc="fail")
    assert registry_auth.host in res.output, "the error names the registry\n" + res.describe()
    assert re.search(r"401|unauthori[sz]ed", res.output, re.I), res.describe()
    for secret in [wrong, registry_auth.auth_string(password=wrong), registry_auth.password,
                   registry_auth.auth_string()]:
        assert secret not in res.output, "a credential leaked into the output"
    assert not k.image_exists(dest)


def test_registry_certificate_flag(registry_tls, busybox_image, context, run_build, pull_rootfs, tmp_path):
    """--registry-certificate HOST=CA trusts a CA for that registry alone (the
    bundle in /kaniko/ssl/certs does not have it)."""
    base = busybox_image.push(registry_tls)
    ctx = copy_context(context, base, "per-registry ca\n")
    # The CA file must be inside the sandbox.
    ca_dir = tmp_path / "certs"
    ca_dir.mkdir()
    (ca_dir / "reg.pem").write_text(registry_tls.ca.read_text())
    dest = registry_tls.ref("tls-regcert:v1")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}",
                    f"--registry-certificate={registry_tls.host}=/certs/reg.pem"],
              binds=[(ca_dir, "/certs")])
    assert (pull_rootfs(dest) / "f").read_text() == "per-registry ca\n"


def test_registry_mirror_serves_docker_hub_names(registry_plain, busybox_image, context, run_build,
                                                 pull_rootfs):
    """FROM busybox (a Docker Hub name) is pulled from --registry-mirror: the
    mirror holds library/busybox and nothing reaches the internet."""
    busybox_image.push(registry_plain, repo="library/busybox")
    ctx = context({"Dockerfile": "FROM busybox:latest\nCOPY f /f\n", "f": "mirrored\n"})
    dest = registry_plain.ref("mirrored:v1")
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}",
                          f"--registry-mirror={registry_plain.host}", "--skip-default-registry-fallback",
                          *registry_plain.insecure_args()])
    rootfs = pull_rootfs(dest)
    assert (rootfs / "f").read_text() == "mirrored\n"
    assert (rootfs / "bin/busybox").exists(), res.describe()
