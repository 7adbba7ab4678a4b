"""Built-in credential helpers (--credential-helpers: ecr, google, acr,
gitlab, env) and DOCKER_AUTH_CONFIG, against the real docker-registry with
token auth (cloud_registry.TokenRegistry): its token server issues a token
only for credentials one of the loopback cloud fakes handed out, so a push
succeeds only if kiln obtained them from the fake the way the real helper
would. No config.json is written in any of these tests unless it says so."""
import json
import secrets
from pathlib import Path

import pytest

import cloud_registry as c


@pytest.fixture(scope="module")
def cloud(tmp_path_factory, pki):
    reg = c.TokenRegistry(tmp_path_factory.mktemp("token-registry"), pki).start()
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def aws(cloud):
    srv = c.AwsFake(cloud).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def google(cloud, tmp_path_factory):
    srv = c.GoogleFake(tmp_path_factory.mktemp("google"), cloud).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def entra(cloud):
    srv = c.EntraFake(cloud).start()
    yield srv
    srv.stop()


@pytest.fixture
def secrets_dir(tmp_path):
    d = tmp_path / "secrets"
    d.mkdir()
    return d


@pytest.fixture
def push_to(cloud, registry_plain, busybox_image, context, run_build, secrets_dir):
    """push_to(host, repo, env, args=(), expect_rc=0) builds FROM busybox (on
    the plain registry) + one file and pushes to host:PORT/repo:1."""
    base = busybox_image.push(registry_plain)

    def _push(host, repo, env, args=(), expect_rc=0, docker_config=None):
        marker = f"{repo} {secrets.token_hex(4)}\n"
        ctx = context({"Dockerfile": f"FROM {base}\nCOPY f /f\n", "f": marker})
        dest = f"{host}:{cloud.port}/{repo}:1"
        res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", *args],
                        ca=pki_ca(cloud), env=env, expect_rc=expect_rc, docker_config=docker_config,
                        binds=[(cloud.hosts_file(), "/etc/hosts"), (secrets_dir, "/secrets")])
        return res, marker

    return _push


def pki_ca(cloud):
    return cloud.pki.ca_cert


def assert_pushed(cloud, repo, marker, res, secret_values):
    got = cloud.pushed_image(repo, "1")
    assert got, f"{repo}:1 was not pushed\n" + res.describe()
    _, config, files, layer = got
    assert files.get("f") == marker.encode()
    for s in secret_values:
        assert s and s not in res.output, "a credential reached the log"
        assert s.encode() not in config and s.encode() not in layer, "a credential reached the image"


def assert_not_pushed(cloud, repo, res):
    assert cloud.pushed_image(repo, "1") is None, res.describe()


# --- ECR ---------------------------------------------------------------------

def ecr_env(aws, **extra):
    return {"AWS_ENDPOINT_URL_ECR": aws.url, "AWS_ENDPOINT_URL_STS": aws.url, "AWS_EC2_METADATA_DISABLED": "true",
            **extra}


def test_ecr_with_access_keys(cloud, aws, push_to):
    akid, secret = aws.add_key()
    res, marker = push_to(c.ECR_HOST, "ecr/keys", ecr_env(aws, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret))
    assert akid in aws.ecr_calls, "GetAuthorizationToken was not signed with the given key"
    assert_pushed(cloud, "ecr/keys", marker, res, [secret, *aws.passwords])
    assert ("AWS", "repository:ecr/keys:pull,push") in cloud.issued


def test_ecr_with_web_identity(cloud, aws, push_to, secrets_dir):
    """EKS IRSA: the projected token is exchanged at STS, the temporary
    credentials (with their session token) sign the ECR call."""
    (secrets_dir / "token").write_text(aws.web_token + "\n")
    before = set(aws.issued)
    res, marker = push_to(c.ECR_HOST, "ecr/irsa", ecr_env(aws, AWS_WEB_IDENTITY_TOKEN_FILE="/secrets/token",
                                                          AWS_ROLE_ARN=aws.role_arn))
    new = set(aws.issued) - before
    assert new & set(aws.ecr_calls), "the ECR call was not signed with STS's temporary key"
    assert_pushed(cloud, "ecr/irsa", marker, res, [aws.web_token, *aws.passwords])


def test_ecr_with_container_credentials(cloud, aws, push_to, secrets_dir):
    """EKS Pod Identity / ECS: the container endpoint with its token file."""
    (secrets_dir / "pod-token").write_text(aws.container_token)
    before = set(aws.issued)
    res, marker = push_to(c.ECR_HOST, "ecr/pod", ecr_env(
        aws, AWS_CONTAINER_CREDENTIALS_FULL_URI=f"{aws.url}/ecs-creds",
        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="/secrets/pod-token"))
    assert (set(aws.issued) - before) & set(aws.ecr_calls)
    assert_pushed(cloud, "ecr/pod", marker, res, [aws.container_token, *aws.passwords])


def test_ecr_with_instance_role(cloud, aws, push_to):
    """IMDSv2: session token, role name, role credentials."""
    env = ecr_env(aws, AWS_EC2_METADATA_SERVICE_ENDPOINT=aws.url)
    del env["AWS_EC2_METADATA_DISABLED"]
    before = set(aws.issued)
    res, marker = push_to(c.ECR_HOST, "ecr/imds", env)
    assert (set(aws.issued) - before) & set(aws.ecr_calls)
    assert any(outcome == "imds session" for _, _, outcome in aws.log)
    assert_pushed(cloud, "ecr/imds", marker, res, [*aws.passwords, *aws.imds_sessions])


def test_ecr_wrong_secret_is_refused_by_name(cloud, aws, push_to):
    akid, _ = aws.add_key()
    res, _ = push_to(c.ECR_HOST, "ecr/wrong", ecr_env(aws, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY="wrong-" +
                                                      secrets.token_hex(8)), expect_rc="fail")
    assert "GetAuthorizationToken" in res.output and "SignatureDoesNotMatch" in res.output, res.describe()
    assert_not_pushed(cloud, "ecr/wrong", res)


@pytest.mark.parametrize("helpers", ["--credential-helpers=", "--credential-helpers=google,gitlab"])
def test_ecr_helper_not_selected_pushes_anonymously(cloud, aws, push_to, helpers):
    akid, secret = aws.add_key()
    calls = len(aws.ecr_calls)
    res, _ = push_to(c.ECR_HOST, "ecr/off", ecr_env(aws, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret),
                     args=[helpers], expect_rc="fail")
    assert len(aws.ecr_calls) == calls, "the ecr helper ran although not selected"
    assert "401" in res.output or "nauthorized" in res.output, res.describe()
    assert_not_pushed(cloud, "ecr/off", res)


# --- Google ------------------------------------------------------------------

def test_google_service_account_key(cloud, google, push_to, secrets_dir):
    (secrets_dir / "sa.json").write_text(google.key_json())
    res, marker = push_to(c.GAR_HOST, "proj/repo/sa", {"GOOGLE_APPLICATION_CREDENTIALS": "/secrets/sa.json"})
    assert any(outcome == "token issued" for _, _, outcome in google.log)
    assert_pushed(cloud, "proj/repo/sa", marker, res, list(google.tokens))
    assert ("oauth2accesstoken", "repository:proj/repo/sa:pull,push") in cloud.issued


def test_google_metadata_server(cloud, google, push_to):
    res, marker = push_to(c.GAR_HOST, "proj/repo/md", {"GCE_METADATA_HOST": f"127.0.0.1:{google.port}"})
    assert_pushed(cloud, "proj/repo/md", marker, res, [google.metadata_token])


def test_google_workload_identity_file_source(cloud, google, push_to, secrets_dir):
    (secrets_dir / "oidc").write_text(google.subject_token + "\n")
    (secrets_dir / "wif.json").write_text(google.external_account(source="/secrets/oidc", impersonate=False))
    n = len(google.federated)
    res, marker = push_to(c.GAR_HOST, "proj/repo/wif", {"GOOGLE_APPLICATION_CREDENTIALS": "/secrets/wif.json"})
    assert len(google.federated) == n + 1  # without impersonation the federated token is the password
    assert_pushed(cloud, "proj/repo/wif", marker, res, [google.subject_token, *google.federated])


def test_google_workload_identity_url_source_impersonation(cloud, google, push_to, secrets_dir):
    (secrets_dir / "wif.json").write_text(google.external_account(source="url", impersonate=True))
    n = len(google.impersonated)
    res, marker = push_to(c.GAR_HOST, "proj/repo/imp", {"GOOGLE_APPLICATION_CREDENTIALS": "/secrets/wif.json"})
    assert len(google.impersonated) == n + 1
    assert any(outcome == "subject served" for _, _, outcome in google.log)
    assert_pushed(cloud, "proj/repo/imp", marker, res,
                  [google.subject_token, google.subject_header, *google.impersonated])


# --- ACR ---------------------------------------------------------------------

def acr_env(entra, **extra):
    return {"AZURE_AUTHORITY_HOST": entra.url, "AZURE_TENANT_ID": entra.tenant, "AZURE_CLIENT_ID": entra.client_id,
            **extra}


def test_acr_workload_identity(cloud, entra, push_to, secrets_dir):
    (secrets_dir / "azure-token").write_text(entra.federated_token)
    res, marker = push_to(c.ACR_HOST, "acr/wi", acr_env(entra, AZURE_FEDERATED_TOKEN_FILE="/secrets/azure-token"))
    assert c.ACR_HOST in entra.exchanges
    assert (c.ACR_USER, "repository:acr/wi:pull,push") in cloud.issued
    assert_pushed(cloud, "acr/wi", marker, res, [entra.federated_token, *entra.access_tokens, *entra.refresh_tokens])


def test_acr_client_secret(cloud, entra, push_to):
    res, marker = push_to(c.ACR_HOST, "acr/secret", acr_env(entra, AZURE_CLIENT_SECRET=entra.client_secret))
    assert_pushed(cloud, "acr/secret", marker, res, [entra.client_secret, *entra.refresh_tokens])


def test_acr_wrong_secret_names_entra(cloud, entra, push_to):
    res, _ = push_to(c.ACR_HOST, "acr/wrong", acr_env(entra, AZURE_CLIENT_SECRET="nope-" + secrets.token_hex(6)),
                     expect_rc="fail")
    assert "invalid_client" in res.output and "/oauth2/v2.0/token" in res.output, res.describe()
    assert_not_pushed(cloud, "acr/wrong", res)


# --- GitLab and DOCKER_AUTH_CONFIG -------------------------------------------

@pytest.fixture(scope="module")
def gitlab_creds(cloud):
    creds = {"user": "project_1_bot", "password": "glpat-" + secrets.token_urlsafe(16),
             "job_token": "glcbt-" + secrets.token_urlsafe(16), "proxy_password": "dp-" + secrets.token_urlsafe(16)}
    cloud.validators.append(lambda u, p: (u, p) in {(creds["user"], creds["password"]),
                                                    ("gitlab-ci-token", creds["job_token"]),
                                                    ("proxy_user", creds["proxy_password"])})
    return creds


def test_gitlab_ci_registry_user(cloud, gitlab_creds, push_to):
    host = f"{c.GITLAB_HOST}:{cloud.port}"
    res, marker = push_to(c.GITLAB_HOST, "group/app", {"CI_REGISTRY": host, "CI_REGISTRY_USER": gitlab_creds["user"],
                                                       "CI_REGISTRY_PASSWORD": gitlab_creds["password"],
                                                       "CI_JOB_TOKEN": "unused-" + secrets.token_hex(4)})
    assert (gitlab_creds["user"], "repository:group/app:pull,push") in cloud.issued
    assert_pushed(cloud, "group/app", marker, res, [gitlab_creds["password"]])


def test_gitlab_job_token(cloud, gitlab_creds, push_to):
    host = f"{c.GITLAB_HOST}:{cloud.port}"
    res, marker = push_to(c.GITLAB_HOST, "group/job", {"CI_REGISTRY": host, "CI_JOB_TOKEN": gitlab_creds["job_token"]})
    assert ("gitlab-ci-token", "repository:group/job:pull,push") in cloud.issued
    assert_pushed(cloud, "group/job", marker, res, [gitlab_creds["job_token"]])


def test_gitlab_dependency_proxy_pull(cloud, gitlab_creds, busybox_image, context, run_build, outdir, tmp_path):
    """FROM an image behind the dependency proxy: pulled with
    CI_DEPENDENCY_PROXY_USER/_PASSWORD, no config.json."""
    import kiln_e2e as k
    repo = "group/dependency_proxy/containers/busybox:latest"
    k.run(["skopeo", "copy", "--dest-cert-dir", str(cloud.pki.cert_dir), "--dest-creds", ":".join(cloud.admin),
           f"oci:{busybox_image.layout}:latest", f"docker://127.0.0.1:{cloud.port}/{repo}"])
    proxy = f"{c.GITLAB_HOST}:{cloud.port}"
    ctx = context({"Dockerfile": f"FROM {proxy}/{repo}\nRUN echo proxied > /p\n"})
    res = run_build(ctx, ["--context=dir:///workspace", "--no-push", "--tar-path=/output/i.tar"],
                    ca=cloud.pki.ca_cert, binds=[(cloud.hosts_file(), "/etc/hosts"), (outdir, "/output")],
                    env={"CI_DEPENDENCY_PROXY_SERVER": proxy, "CI_DEPENDENCY_PROXY_USER": "proxy_user",
                         "CI_DEPENDENCY_PROXY_PASSWORD": gitlab_creds["proxy_password"]})
    assert ("proxy_user", "repository:group/dependency_proxy/containers/busybox:pull") in cloud.issued
    assert gitlab_creds["proxy_password"] not in res.output
    assert (outdir / "i.tar").stat().st_size > 0


@pytest.fixture(scope="module")
def ci_user(cloud):
    pair = ("ci-user", "ci-" + secrets.token_urlsafe(16))
    cloud.validators.append(lambda u, p: (u, p) == pair)
    return pair


def auths(host, user, password):
    import base64
    return json.dumps({"auths": {host: {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}}})


def test_docker_auth_config_variable(cloud, ci_user, push_to):
    host = f"{c.GITLAB_HOST}:{cloud.port}"
    res, marker = push_to(c.GITLAB_HOST, "dac/only", {"DOCKER_AUTH_CONFIG": auths(host, *ci_user)})
    assert_pushed(cloud, "dac/only", marker, res, [ci_user[1]])


def test_docker_auth_config_read_before_config_json(cloud, ci_user, push_to, tmp_path):
    """A stale config.json for the same registry loses to DOCKER_AUTH_CONFIG."""
    host = f"{c.GITLAB_HOST}:{cloud.port}"
    stale = tmp_path / "config.json"
    stale.write_text(auths(host, ci_user[0], "stale-" + secrets.token_hex(6)))
    res, marker = push_to(c.GITLAB_HOST, "dac/first", {"DOCKER_AUTH_CONFIG": auths(host, *ci_user)},
                          docker_config=stale)
    assert_pushed(cloud, "dac/first", marker, res, [ci_user[1]])
