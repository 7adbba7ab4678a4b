"""Build contexts kept as a tar.gz in an object store: s3:// (s3rver, and a
SigV4-verifying S3 + STS server), gs:// (a token endpoint that verifies the
RS256 JWT, the metadata server, the JSON API) and Azure Blob (azurite, which
verifies Shared Key). Every source must give the image the same digest as
the same files built from dir://."""
import io
import tarfile
import time
from pathlib import Path

import pytest

import fault_proxy as fp
import kiln_e2e as k
import objstore_servers as o

FILES = {
    "app/Dockerfile": "FROM scratch\nCOPY . /ctx/\n",
    "app/hello.txt": "hello from an object store\n",
    "app/bin/run.sh": ("#!/bin/sh\necho run\n", 0o755),
    "app/deep/er/data.bin": bytes(range(256)) * 64,
    "unrelated.txt": "outside the sub path\n",
}
BUILD_ARGS = ["--context-sub-path=app", "--no-push", "--reproducible", "--digest-file=/output/digest"]


def tar_gz_of(directory: Path) -> bytes:
    """The context directory as a tar.gz, members relative to it, owners kept."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for p in sorted(directory.rglob("*")):
            tf.add(p, arcname=str(p.relative_to(directory)), recursive=False)
    return buf.getvalue()


def evil_tar_gz() -> bytes:
    """A Dockerfile plus an entry climbing out with ../ and a symlink to / that
    a later entry writes through."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        def add(name, data=b"", **kw):
            ti = tarfile.TarInfo(name)
            for a, v in kw.items():
                setattr(ti, a, v)
            if ti.type == tarfile.REGTYPE:
                ti.size = len(data)
            tf.addfile(ti, io.BytesIO(data) if data else None)
        add("Dockerfile", b"FROM scratch\nCOPY . /\n")
        add("link", type=tarfile.SYMTYPE, linkname="/")
        add("link/kiln-escaped-through-symlink", b"pwned\n")
        add("../../kiln-escaped-dotdot", b"pwned\n")
    return buf.getvalue()


# ---------------------------------------------------------------------------
# Fixtures (module scope: one set of servers for the file)
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def npm_tools():
    return o.npm_tools_dir()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("objstore")


@pytest.fixture(scope="module")
def context_dir(workdir):
    return k.make_context(workdir / "context", FILES)


@pytest.fixture(scope="module")
def archive(context_dir):
    return tar_gz_of(context_dir)


@pytest.fixture(scope="module")
def s3rver(npm_tools, workdir, archive):
    srv = o.S3rver(workdir / "s3rver", "s3rver").start(npm_tools)
    srv.create_bucket("ctx-bucket")
    srv.put("ctx-bucket", "builds/ctx.tar.gz", archive)
    srv.put("ctx-bucket", "context.tar.gz", archive)
    srv.put("ctx-bucket", "builds/truncated.tar.gz", archive[: len(archive) // 2])
    srv.put("ctx-bucket", "builds/not-a-tarball.tar.gz", b"this is plain text, not gzip\n" * 10)
    srv.put("ctx-bucket", "builds/evil.tar.gz", evil_tar_gz())
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def s3rver_tls(npm_tools, workdir, archive, pki):
    srv = o.S3rver(workdir / "s3rver-tls", "s3rver-tls").start(npm_tools, pki=pki)
    srv.create_bucket("tls-bucket")
    srv.put("tls-bucket", "ctx.tar.gz", archive)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def azurite(npm_tools, workdir, archive):
    srv = o.Azurite(workdir / "azurite", "azurite").start(npm_tools)
    srv.create_container("contexts")
    srv.put("contexts", "team/ctx.tar.gz", archive)
    srv.create_container("public-contexts", public=True)
    srv.put("public-contexts", "ctx.tar.gz", archive)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def sigv4_store(archive):
    srv = o.SigV4Store().start()
    srv.objects[("signed-bucket", "dir/ctx.tar.gz")] = archive
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def gcs(workdir, archive):
    srv = o.GcsStore(workdir / "gcs").start()
    srv.objects[("gcs-bucket", "nested/dir/ctx.tar.gz")] = archive
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def file_server(archive, pki):
    """An HTTPS artefact server: the context, a Dockerfile, a large file."""
    srv = o.FileServer().start(pki=pki)
    srv.files["/artefacts/ctx.tar.gz"] = archive
    srv.files["/artefacts/Dockerfile"] = FILES["app/Dockerfile"].encode()
    srv.files["/artefacts/huge"] = b"#" * (2 << 20)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def secrets_dir(workdir):
    """Host directory bound at /secrets in the sandbox (key files, tokens)."""
    d = workdir / "secrets"
    d.mkdir(exist_ok=True)
    return d


@pytest.fixture
def build_from(run_build, tmp_path, secrets_dir):
    """build_from(context_flag, env, expect_rc=0) -> (result, digest or None)."""
    def _build(context_flag, env=None, expect_rc=0, ca=None, extra=()):
        out = tmp_path / f"out-{time.monotonic_ns()}"
        out.mkdir()
        empty = tmp_path / "empty-workspace"
        empty.mkdir(exist_ok=True)
        res = run_build(empty, [f"--context={context_flag}", *BUILD_ARGS, *extra], env=env or {},
                        binds=[(out, "/output"), (secrets_dir, "/secrets")], expect_rc=expect_rc, ca=ca)
        digest = (out / "digest").read_text().strip() if (out / "digest").exists() else None
        return res, digest
    return _build


@pytest.fixture(scope="module")
def dir_digest(executor, context_dir, workdir):
    """The reference: the same files built from dir://."""
    out = workdir / "dir-out"
    out.mkdir()
    argv = k.sandbox_argv(executor=executor, context=context_dir, binds=[(out, "/output")],
                          args=["--context=dir:///workspace", *BUILD_ARGS])
    res = k.check_rc(k.run_process(argv, timeout=300), 0)
    digest = (out / "digest").read_text().strip()
    assert digest.startswith("sha256:"), res.describe()
    return digest


# ---------------------------------------------------------------------------
# The same image from every source
# ---------------------------------------------------------------------------

def test_s3_compatible_store_with_static_keys(s3rver, build_from, dir_digest):
    res, digest = build_from("s3://ctx-bucket/builds/ctx.tar.gz", {
        "AWS_ACCESS_KEY_ID": o.S3rver.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": o.S3rver.SECRET_KEY,
        "S3_ENDPOINT": s3rver.endpoint, "S3_FORCE_PATH_STYLE": "true"})
    assert digest == dir_digest, res.describe()
    assert "Unpacked s3://ctx-bucket/builds/ctx.tar.gz" in res.output, res.describe()


def test_s3_anonymous_download(s3rver, build_from, dir_digest):
    """No credentials at all: an unsigned GET (s3rver serves it, as S3 does for public objects)."""
    res, digest = build_from("s3://ctx-bucket/builds/ctx.tar.gz", {"S3_ENDPOINT": s3rver.endpoint})
    assert digest == dir_digest, res.describe()
    assert "unsigned" in res.output, res.describe()


def test_s3_over_https_with_the_registry_ca(s3rver_tls, pki, build_from, dir_digest):
    """HTTPS verified against /kaniko/ssl/certs/ca-certificates.crt (by IP SAN),
    and refused without the CA there."""
    env = {"AWS_ACCESS_KEY_ID": o.S3rver.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": o.S3rver.SECRET_KEY,
           "S3_ENDPOINT": s3rver_tls.endpoint}
    res, digest = build_from("s3://tls-bucket/ctx.tar.gz", env, ca=pki.ca_cert)
    assert digest == dir_digest, res.describe()
    res, _ = build_from("s3://tls-bucket/ctx.tar.gz", env, expect_rc="fail")
    assert "s3://tls-bucket/ctx.tar.gz" in res.output and s3rver_tls.endpoint in res.output, res.describe()


def test_s3_bare_bucket_means_context_tar_gz(s3rver, build_from, dir_digest):
    """kaniko's rule: s3://bucket alone names bucket/context.tar.gz."""
    res, digest = build_from("s3://ctx-bucket", {"S3_ENDPOINT": s3rver.endpoint})
    assert digest == dir_digest, res.describe()
    assert "/ctx-bucket/context.tar.gz" in res.output, res.describe()


def test_s3_signature_is_verified(sigv4_store, build_from, dir_digest):
    akid, secret = sigv4_store.add_key()
    env = {"AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret, "AWS_REGION": sigv4_store.region,
           "S3_ENDPOINT": sigv4_store.url}
    res, digest = build_from("s3://signed-bucket/dir/ctx.tar.gz", env)
    assert digest == dir_digest, res.describe()
    assert ("GET", "/signed-bucket/dir/ctx.tar.gz", "served") in sigv4_store.log

    # The same request with another secret: the server recomputes and refuses.
    res, _ = build_from("s3://signed-bucket/dir/ctx.tar.gz", {**env, "AWS_SECRET_ACCESS_KEY": secret + "x"},
                        expect_rc="fail")
    assert "s3://signed-bucket/dir/ctx.tar.gz" in res.output and "403 SignatureDoesNotMatch" in res.output, \
        res.describe()
    assert secret not in res.output, "the secret key must never be printed"

    # Unsigned requests are refused by this server: the anonymous path really sends no signature.
    res, _ = build_from("s3://signed-bucket/dir/ctx.tar.gz", {"S3_ENDPOINT": sigv4_store.url}, expect_rc="fail")
    assert "403 AccessDenied" in res.output, res.describe()


def test_s3_bucket_in_another_region(sigv4_store, build_from, dir_digest):
    """No region configured (us-east-1): the store names the bucket's region and
    the request is signed again for it."""
    akid, secret = sigv4_store.add_key()
    res, digest = build_from("s3://signed-bucket/dir/ctx.tar.gz", {
        "AWS_ACCESS_KEY_ID": akid, "AWS_SECRET_ACCESS_KEY": secret, "S3_ENDPOINT": sigv4_store.url})
    assert digest == dir_digest, res.describe()
    assert f"is in {sigv4_store.region}, retrying there" in res.output, res.describe()


def test_s3_web_identity(sigv4_store, secrets_dir, build_from, dir_digest):
    """IRSA: the token file and role ARN are exchanged at STS for temporary
    credentials, whose session token is signed into the S3 request."""
    (secrets_dir / "web-identity-token").write_text(sigv4_store.web_token + "\n")
    env = {"AWS_WEB_IDENTITY_TOKEN_FILE": "/secrets/web-identity-token", "AWS_ROLE_ARN": sigv4_store.role_arn,
           "AWS_REGION": sigv4_store.region, "S3_ENDPOINT": sigv4_store.url,
           "AWS_ENDPOINT_URL_STS": sigv4_store.url + "/"}
    issued = len(sigv4_store.issued)
    res, digest = build_from("s3://signed-bucket/dir/ctx.tar.gz", env)
    assert digest == dir_digest, res.describe()
    assert len(sigv4_store.issued) == issued + 1, "STS was not asked"
    assert sigv4_store.web_token not in res.output

    res, _ = build_from("s3://signed-bucket/dir/ctx.tar.gz",
                        {**env, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/someone-else"}, expect_rc="fail")
    assert "AssumeRoleWithWebIdentity" in res.output and "AccessDenied" in res.output, res.describe()


def test_gcs_service_account_key(gcs, secrets_dir, build_from, dir_digest):
    (secrets_dir / "sa.json").write_text(gcs.key_json())
    env = {"GOOGLE_APPLICATION_CREDENTIALS": "/secrets/sa.json", "STORAGE_EMULATOR_HOST": f"127.0.0.1:{gcs.port}"}
    res, digest = build_from("gs://gcs-bucket/nested/dir/ctx.tar.gz", env)
    assert digest == dir_digest, res.describe()
    assert any(outcome == "token issued" for _, _, outcome in gcs.log)
    assert any(outcome == "served" for _, _, outcome in gcs.log)


def test_gcs_key_the_server_does_not_know(gcs, secrets_dir, workdir, build_from):
    """A JWT signed with another RSA key fails the token endpoint's openssl check."""
    other = workdir / "other-key.pem"
    k.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(other)])
    (secrets_dir / "wrong-sa.json").write_text(gcs.key_json(private_key=other))
    env = {"GOOGLE_APPLICATION_CREDENTIALS": "/secrets/wrong-sa.json",
           "STORAGE_EMULATOR_HOST": f"127.0.0.1:{gcs.port}"}
    res, _ = build_from("gs://gcs-bucket/nested/dir/ctx.tar.gz", env, expect_rc="fail")
    assert "invalid_grant" in res.output and "signature does not verify" in res.output, res.describe()


def test_gcs_metadata_server_token(gcs, build_from, dir_digest):
    env = {"GCE_METADATA_HOST": f"127.0.0.1:{gcs.port}", "STORAGE_EMULATOR_HOST": gcs.url}
    res, digest = build_from("gs://gcs-bucket/nested/dir/ctx.tar.gz", env)
    assert digest == dir_digest, res.describe()
    assert any(outcome == "metadata token" for _, _, outcome in gcs.log)


def test_gcs_missing_object(gcs, secrets_dir, build_from):
    (secrets_dir / "sa.json").write_text(gcs.key_json())
    env = {"GOOGLE_APPLICATION_CREDENTIALS": "/secrets/sa.json", "STORAGE_EMULATOR_HOST": f"127.0.0.1:{gcs.port}"}
    res, _ = build_from("gs://gcs-bucket/nested/dir/missing.tar.gz", env, expect_rc="fail")
    assert "gs://gcs-bucket/nested/dir/missing.tar.gz" in res.output and "404" in res.output, res.describe()


def azure_url(path="contexts/team/ctx.tar.gz"):
    return f"https://{o.AZURITE_ACCOUNT}.blob.core.windows.net/{path}"


def test_azure_blob_shared_key(azurite, build_from, dir_digest):
    res, digest = build_from(azure_url(), {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string()})
    assert digest == dir_digest, res.describe()


def test_azure_access_key_with_endpoint_from_connection_string(azurite, build_from, dir_digest):
    """kaniko's AZURE_STORAGE_ACCESS_KEY; the connection string only names the endpoint."""
    res, digest = build_from(azure_url(), {"AZURE_STORAGE_ACCESS_KEY": o.AZURITE_KEY,
                                           "AZURE_STORAGE_CONNECTION_STRING": f"BlobEndpoint={azurite.blob_endpoint}"})
    assert digest == dir_digest, res.describe()


def test_azure_public_container_anonymously(azurite, build_from, dir_digest):
    """No key: an unsigned GET, which azurite answers only for a public container."""
    endpoint_only = {"AZURE_STORAGE_CONNECTION_STRING": f"BlobEndpoint={azurite.blob_endpoint}"}
    res, digest = build_from(azure_url("public-contexts/ctx.tar.gz"), endpoint_only)
    assert digest == dir_digest, res.describe()
    assert "unsigned" in res.output, res.describe()
    res, _ = build_from(azure_url(), endpoint_only, expect_rc="fail")  # a private container
    assert azure_url() in res.output and ("404" in res.output or "403" in res.output), res.describe()


def test_azure_wrong_key_and_missing_blob(azurite, build_from):
    wrong = "d3Jvbmcga2V5IGZvciB0aGUgZGV2IGFjY291bnQ="  # base64 of "wrong key for the dev account"
    res, _ = build_from(azure_url(), {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string(wrong)},
                        expect_rc="fail")
    assert azure_url() in res.output and "403" in res.output, res.describe()
    assert wrong not in res.output
    res, _ = build_from(azure_url("contexts/team/nope.tar.gz"),
                        {"AZURE_STORAGE_CONNECTION_STRING": azurite.connection_string()}, expect_rc="fail")
    assert azure_url("contexts/team/nope.tar.gz") in res.output and "404" in res.output, res.describe()


# ---------------------------------------------------------------------------
# Bad input through S3
# ---------------------------------------------------------------------------

@pytest.fixture
def s3rver_env(s3rver):
    return {"AWS_ACCESS_KEY_ID": o.S3rver.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": o.S3rver.SECRET_KEY,
            "S3_ENDPOINT": s3rver.endpoint, "S3_FORCE_PATH_STYLE": "true"}


@pytest.mark.parametrize("url,expected", [
    ("s3://ctx-bucket/builds/missing.tar.gz", "404 NoSuchKey"),
    ("s3://no-such-bucket/ctx.tar.gz", "404 NoSuchBucket"),
])
def test_s3_missing_object_or_bucket(url, expected, s3rver_env, build_from):
    res, _ = build_from(url, s3rver_env, expect_rc="fail")
    assert url in res.output and expected in res.output, res.describe()


def test_s3_unknown_access_key(s3rver_env, build_from):
    res, _ = build_from("s3://ctx-bucket/builds/ctx.tar.gz", {**s3rver_env, "AWS_ACCESS_KEY_ID": "AKIAUNKNOWN"},
                        expect_rc="fail")
    assert "s3://ctx-bucket/builds/ctx.tar.gz" in res.output and "403 InvalidAccessKeyId" in res.output, \
        res.describe()


@pytest.mark.parametrize("key", ["builds/truncated.tar.gz", "builds/not-a-tarball.tar.gz"])
def test_s3_broken_archive(key, s3rver_env, build_from):
    res, _ = build_from(f"s3://ctx-bucket/{key}", s3rver_env, expect_rc="fail")
    assert f"context s3://ctx-bucket/{key}" in res.output, res.describe()


def test_s3_archive_escaping_its_root_is_refused(s3rver_env, run_build, tmp_path):
    root = tmp_path / "root"
    empty = tmp_path / "ws"
    empty.mkdir()
    res = run_build(empty, ["--context=s3://ctx-bucket/builds/evil.tar.gz", "--no-push"], env=s3rver_env,
                    root=root, expect_rc="fail")
    assert "context s3://ctx-bucket/builds/evil.tar.gz" in res.output, res.describe()
    # A symlink to "/" is re-rooted inside the context, so a file written
    # through it may exist there; nothing may exist anywhere else.
    escaped = [p for p in root.rglob("kiln-escaped-*") if "/context/" not in str(p)] if root.exists() else []
    escaped += list(Path("/").glob("kiln-escaped-*"))
    assert not escaped, f"entries escaped the context directory: {escaped}"
    assert ".." in res.output or "outside" in res.output, res.describe()


# ---------------------------------------------------------------------------
# Retries: a fault proxy between the executor and s3rver
# ---------------------------------------------------------------------------

@pytest.fixture
def flaky_s3(s3rver):
    """(proxy, env): the executor talks to s3rver through a fault proxy."""
    proxy = fp.FaultProxy(f"127.0.0.1:{s3rver.port}")
    env = {"AWS_ACCESS_KEY_ID": o.S3rver.ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": o.S3rver.SECRET_KEY,
           "S3_ENDPOINT": f"http://{proxy.host}", "S3_FORCE_PATH_STYLE": "true"}
    yield proxy, env
    proxy.close()


def object_gets(proxy):
    return [r for r in proxy.requests if r[0] == "GET" and "/ctx-bucket/" in r[1]]


@pytest.mark.parametrize("fault", [fp.Fault("reset", count=1), fp.Fault("status", count=2, status=503)],
                         ids=["connection-cut-half-way", "two-503s"])
def test_s3_download_is_retried(fault, flaky_s3, build_from, dir_digest):
    """A download cut half-way (the extractor has had half the archive) or
    refused with 503 is tried again, and the image is the one dir:// gives."""
    proxy, env = flaky_s3
    proxy.arm(fault)
    res, digest = build_from("s3://ctx-bucket/builds/ctx.tar.gz", env)
    assert fault.injected == fault.count, res.describe()
    assert digest == dir_digest, res.describe()
    assert "retrying in 1 s (attempt 2 of 3)" in res.output, res.describe()
    assert len(object_gets(proxy)) == fault.count + 1, proxy.requests


def test_s3_download_gives_up_after_three_attempts(flaky_s3, build_from):
    proxy, env = flaky_s3
    proxy.arm(fp.Fault("status", count=5, status=503))
    res, _ = build_from("s3://ctx-bucket/builds/ctx.tar.gz", env, expect_rc="fail")
    assert "s3://ctx-bucket/builds/ctx.tar.gz" in res.output and "503" in res.output, res.describe()
    assert "(after 3 attempts)" in res.output, res.describe()
    assert len(object_gets(proxy)) == 3, proxy.requests


def test_s3_missing_object_is_not_retried(flaky_s3, build_from):
    proxy, env = flaky_s3
    proxy.arm(None)
    res, _ = build_from("s3://ctx-bucket/builds/missing.tar.gz", env, expect_rc="fail")
    assert "404 NoSuchKey" in res.output and "retrying" not in res.output, res.describe()
    assert len(object_gets(proxy)) == 1, proxy.requests


# ---------------------------------------------------------------------------
# Plain https:// URLs: a tar.gz context and --dockerfile
# ---------------------------------------------------------------------------

def test_https_url_context(file_server, pki, build_from, dir_digest):
    """Any https:// URL that is not Azure Blob is a tar.gz fetched with a GET,
    verified against the registry CA; the query (a pre-signed link's
    signature) is sent but never logged."""
    url = f"{file_server.url}/artefacts/ctx.tar.gz?signature=kiln-secret-sig"
    res, digest = build_from(url, ca=pki.ca_cert)
    assert digest == dir_digest, res.describe()
    assert ("GET", "/artefacts/ctx.tar.gz?signature=kiln-secret-sig", "200") in file_server.log
    assert "kiln-secret-sig" not in res.output, res.describe()
    # Without the CA the certificate does not verify, and the error says where.
    res, _ = build_from(url, expect_rc="fail")
    assert f"{file_server.url}/artefacts/ctx.tar.gz" in res.output, res.describe()
    assert "kiln-secret-sig" not in res.output, res.describe()


def test_https_url_context_missing(file_server, pki, build_from):
    res, _ = build_from(f"{file_server.url}/artefacts/gone.tar.gz", ca=pki.ca_cert, expect_rc="fail")
    assert "404" in res.output and "/artefacts/gone.tar.gz" in res.output, res.describe()


def test_dockerfile_from_https_url(file_server, pki, build_from, dir_digest):
    """kaniko downloads --dockerfile when it is a URL; the build is the same."""
    res, digest = build_from(f"{file_server.url}/artefacts/ctx.tar.gz", ca=pki.ca_cert,
                             extra=[f"--dockerfile={file_server.url}/artefacts/Dockerfile"])
    assert digest == dir_digest, res.describe()
    assert ("GET", "/artefacts/Dockerfile", "200") in file_server.log


@pytest.mark.parametrize("path,expected", [
    ("/artefacts/no-such-Dockerfile", "HTTP 404"),
    ("/artefacts/huge", "larger than 1 MiB"),
])
def test_dockerfile_url_refused(path, expected, file_server, pki, build_from):
    res, digest = build_from(f"{file_server.url}/artefacts/ctx.tar.gz", ca=pki.ca_cert, expect_rc="fail",
                             extra=[f"--dockerfile={file_server.url}{path}"])
    assert digest is None
    assert expected in res.output and f"Dockerfile {file_server.url}{path}" in res.output, res.describe()
