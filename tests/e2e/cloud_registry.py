"""A real registry with token auth, and loopback stand-ins for the cloud
services kaniko's built-in credential helpers talk to (stdlib + openssl CLI).

- ``TokenRegistry``: Debian's docker-registry (distribution 2.8) configured
  for token auth, behind a TLS front on loopback whose certificate names the
  cloud registry host names the tests use (``CLOUD_HOSTS``, mapped to
  127.0.0.1 by a hosts file bound into the sandbox). The front is the token
  server (``/oauth2/token``): it issues an RS256 JWT, signed with a key the
  registry trusts (``rootcertbundle``), only to Basic credentials one of
  its ``validators`` accepts, i.e. only for what a fake handed out. It also
  serves ACR's ``/oauth2/exchange`` and forwards everything else to the
  registry.
- ``AwsFake``: STS AssumeRoleWithWebIdentity and SigV4 checking (from
  ``objstore_servers.SigV4Store``), ECR GetAuthorizationToken (signature,
  service ``ecr``, region and account checked), the container credentials
  endpoint (its Authorization token checked) and IMDSv2 (a session token
  required on every GET).
- ``GoogleFake``: ``GcsStore``'s JWT-bearer token endpoint (RS256 verified
  with openssl, cloud-platform scope required) and metadata server, plus
  workload identity federation: STS token exchange (audience, subject token
  and its type checked) and service-account impersonation.
- ``EntraFake``: Entra ID's client-credentials token endpoint, accepting
  one federated token (as a client assertion) or one client secret.

What these fakes do not reproduce is listed in tests/e2e/README.md.
"""
from __future__ import annotations

import base64
import gzip
import http.client
import io
import json
import secrets
import ssl
import subprocess
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import kiln_e2e as k
import objstore_servers as o

ECR_HOST = "123456789012.dkr.ecr.eu-west-3.amazonaws.com"
GAR_HOST = "europe-west1-docker.pkg.dev"
ACR_HOST = "kilntest.azurecr.io"
GITLAB_HOST = "registry.gitlab.kiln.test"
CLOUD_HOSTS = [ECR_HOST, GAR_HOST, ACR_HOST, GITLAB_HOST]
ACR_USER = "00000000-0000-0000-0000-000000000000"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _openssl_sign(key: Path, data: bytes) -> bytes:
    with tempfile.NamedTemporaryFile() as f:
        f.write(data)
        f.flush()
        return subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(key), f.name],
                              check=True, capture_output=True).stdout


class TokenRegistry:
    """docker-registry (token auth) behind a TLS front; see the module doc."""

    SERVICE = "kiln-e2e-token-registry"
    ISSUER = "kiln-e2e-token-issuer"

    def __init__(self, workdir: Path, pki: k.Pki):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.pki = pki
        self.validators = []   # callables (user, password) -> bool
        self.issued = []       # (user, scope) of every token issued
        self.refused = []      # users refused a token
        self.exchange = None   # ACR: callable(form) -> (status, dict)
        self.admin = ("kiln-admin", "adm-" + secrets.token_urlsafe(16))
        self.validators.append(lambda u, p: (u, p) == self.admin)
        self._keys()
        self.upstream_port = k.free_port()
        self.httpd = None
        self.proc = None

    # -- set-up --
    def _keys(self):
        d = self.workdir
        self.token_key, self.token_cert = d / "token.key", d / "token.crt"
        k.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3",
               "-keyout", self.token_key, "-out", self.token_cert, "-subj", "/CN=kiln e2e token issuer"])
        der = subprocess.run(["openssl", "x509", "-in", str(self.token_cert), "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.x5c = base64.b64encode(der).decode()
        # The front's certificate: every cloud host name and 127.0.0.1.
        key, csr, cert, ext = d / "front.key", d / "front.csr", d / "front.crt", d / "front.ext"
        k.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-keyout", key, "-out", csr,
               "-subj", "/CN=kiln-e2e-cloud-front"])
        sans = ",".join([f"DNS:{h}" for h in CLOUD_HOSTS] + ["IP:127.0.0.1"])
        ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                       f"extendedKeyUsage=serverAuth\nsubjectAltName={sans}\n")
        k.run(["openssl", "x509", "-req", "-in", csr, "-CA", self.pki.ca_cert, "-CAkey", self.pki.ca_key,
               "-CAcreateserial", "-out", cert, "-days", "3", "-sha256", "-extfile", ext])
        self.front_key, self.front_cert = key, cert

    def hosts_file(self) -> Path:
        """/etc/hosts for the sandbox: the cloud names on loopback."""
        p = self.workdir / "hosts"
        p.write_text("127.0.0.1 localhost\n" + "".join(f"127.0.0.1 {h}\n" for h in CLOUD_HOSTS))
        return p

    def start(self):
        self.httpd, _ = o.serve_http(self._serve, ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"),
                                     tls=(self.front_cert, self.front_key))
        self.port = self.httpd.server_address[1]
        self._start_registry()
        return self

    def _start_registry(self):
        storage = self.workdir / "storage"
        storage.mkdir(exist_ok=True)
        cfg = self.workdir / "config.yml"
        cfg.write_text("\n".join([
            "version: 0.1", "log:", "  level: info", "  accesslog:", "    disabled: true",
            "storage:", "  filesystem:", f"    rootdirectory: {storage}", "  delete:", "    enabled: true",
            "http:", f"  addr: 127.0.0.1:{self.upstream_port}", "  secret: kiln-e2e-" + secrets.token_hex(8),
            "  relativeurls: true",
            "auth:", "  token:", f"    realm: https://127.0.0.1:{self.port}/oauth2/token",
            f"    service: {self.SERVICE}", f"    issuer: {self.ISSUER}",
            f"    rootcertbundle: {self.token_cert}", ""]))
        log = open(self.workdir / "registry.log", "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", str(cfg)], stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=2)
                c.request("GET", "/v2/")
                if c.getresponse().status == 401:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("token registry did not start:\n" +
                           (self.workdir / "registry.log").read_text(errors="replace")[-3000:])

    def stop(self):
        o.stop_http(self.httpd)
        k.stop_process(self.proc)

    # -- the front --
    def _serve(self, h, body):
        u = urllib.parse.urlsplit(h.path)
        if u.path == "/oauth2/token":
            return self._reply(h, *self._token(h, u))
        if u.path == "/oauth2/exchange" and h.command == "POST":
            if not self.exchange:
                return self._reply(h, 404, {"error": "no ACR here"})
            status, payload = self.exchange(dict(urllib.parse.parse_qsl(body.decode())))
            return self._reply(h, status, payload)
        self._forward(h, body)

    def _reply(self, h, status, payload, headers=None):
        data = json.dumps(payload).encode()
        h.send_response(status)
        for n, v in (headers or {}).items():
            h.send_header(n, v)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _token(self, h, u):
        auth = h.headers.get("Authorization", "")
        user = password = None
        if auth.startswith("Basic "):
            user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
        if user is None or not any(v(user, password) for v in self.validators):
            self.refused.append(user)
            return 401, {"errors": [{"code": "UNAUTHORIZED", "message": "credentials refused"}]}, \
                {"WWW-Authenticate": 'Basic realm="kiln-e2e-token"'}
        q = urllib.parse.parse_qs(u.query)
        access = []
        for scope in q.get("scope", []):
            for one in scope.split(" "):
                typ, _, rest = one.partition(":")
                name, _, actions = rest.rpartition(":")
                access.append({"type": typ, "name": name, "actions": actions.split(",")})
                self.issued.append((user, one))
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": self.ISSUER, "sub": user, "aud": q.get("service", [""])[0], "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(8), "access": access}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        jwt = signing_input + "." + _b64url(_openssl_sign(self.token_key, signing_input.encode()))
        return 200, {"token": jwt, "access_token": jwt, "expires_in": 300}, None

    def _forward(self, h, body):
        up = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
        try:
            headers = {n: v for n, v in h.headers.items()
                       if n.lower() not in ("connection", "transfer-encoding", "content-length")}
            up.request(h.command, h.path, body=body if h.command in ("PUT", "PATCH", "POST") else None,
                       headers=headers)
            r = up.getresponse()
            data = r.read()
            h.send_response(r.status, r.reason)
            for n, v in r.getheaders():
                if n.lower() not in ("connection", "transfer-encoding", "content-length"):
                    h.send_header(n, v)
            h.send_header("Content-Length", r.getheader("Content-Length") if h.command == "HEAD"
                          else str(len(data)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(data)
        finally:
            up.close()

    # -- checking what was pushed --
    def _admin_get(self, path, scope, accept=None):
        ctx = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        basic = base64.b64encode(f"{self.admin[0]}:{self.admin[1]}".encode()).decode()
        q = urllib.parse.urlencode({"service": self.SERVICE, "scope": scope})
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}/oauth2/token?{q}",
                                     headers={"Authorization": "Basic " + basic})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            token = json.load(r)["token"]
        headers = {"Authorization": "Bearer " + token}
        if accept:
            headers["Accept"] = accept
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def pushed_image(self, repo, tag):
        """(manifest, config bytes, {path: file bytes} of the last layer, the
        layer's bytes), or None when the tag does not exist."""
        scope = f"repository:{repo}:pull"
        accept = ("application/vnd.oci.image.manifest.v1+json,"
                  "application/vnd.docker.distribution.manifest.v2+json")
        status, body = self._admin_get(f"/v2/{repo}/manifests/{tag}", scope, accept)
        if status == 404:
            return None
        assert status == 200, f"manifest {repo}:{tag}: {status} {body[:300]!r}"
        manifest = json.loads(body)
        status, config = self._admin_get(f"/v2/{repo}/blobs/{manifest['config']['digest']}", scope)
        assert status == 200
        status, layer = self._admin_get(f"/v2/{repo}/blobs/{manifest['layers'][-1]['digest']}", scope)
        assert status == 200
        files = {}
        with tarfile.open(fileobj=io.BytesIO(gzip.decompress(layer))) as t:
            for m in t.getmembers():
                if m.isfile():
                    files[m.name.lstrip("./")] = t.extractfile(m).read()
        return manifest, config, files, layer


class AwsFake(o.SigV4Store):
    """STS + ECR API + container credentials endpoint + IMDSv2 on one port."""
    ACCOUNT = "123456789012"

    def __init__(self, registry: TokenRegistry):
        super().__init__(region="eu-west-3")
        self.passwords = set()   # ECR passwords handed out
        self.ecr_calls = []      # access key ids that signed GetAuthorizationToken
        self.container_token = "ecs-" + secrets.token_urlsafe(24)
        self.imds_sessions = set()
        self.imds_role = "kiln-node-role"
        registry.validators.append(lambda u, p: u == "AWS" and p in self.passwords)

    def handle(self, h, body):
        u = urllib.parse.urlsplit(h.path)
        if h.command == "POST" and h.headers.get("X-Amz-Target"):
            return self._ecr(h, u, body)
        if u.path == "/ecs-creds":
            if h.headers.get("Authorization") != self.container_token:
                return 401, {}, b'{"message":"bad token"}', "container refused"
            return self._temporary("container issued")
        if u.path == "/latest/api/token" and h.command == "PUT":
            if not h.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return 400, {}, b"missing ttl", "imds no ttl"
            s = secrets.token_urlsafe(24)
            self.imds_sessions.add(s)
            return 200, {}, s.encode(), "imds session"
        if u.path.startswith("/latest/meta-data/iam/security-credentials/"):
            if h.headers.get("X-aws-ec2-metadata-token") not in self.imds_sessions:
                return 401, {}, b"", "imds unauthorized"
            role = u.path.rsplit("/", 1)[1]
            if not role:
                return 200, {}, self.imds_role.encode(), "imds role"
            if role != self.imds_role:
                return 404, {}, b"", "imds no such role"
            return self._temporary("imds issued", Code="Success", Type="AWS-HMAC")
        return super().handle(h, body)

    def _temporary(self, outcome, **extra):
        token = secrets.token_urlsafe(48)
        akid, secret = self.add_key("ASIA" + secrets.token_hex(8).upper(), token=token)
        self.issued.append(akid)
        doc = {"AccessKeyId": akid, "SecretAccessKey": secret, "Token": token,
               "Expiration": "2099-01-01T00:00:00Z", **extra}
        return 200, {"Content-Type": "application/json"}, json.dumps(doc).encode(), outcome

    def _ecr(self, h, u, body):
        def err(status, typ, msg):
            return status, {"Content-Type": "application/x-amz-json-1.1"}, \
                json.dumps({"__type": typ, "message": msg}).encode(), typ
        if h.headers.get("X-Amz-Target") != "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken":
            return err(400, "UnknownOperationException", "unknown operation")
        auth = h.headers.get("Authorization")
        if not auth:
            return err(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        verdict = self._verify(h, u, auth, want_service="ecr", body=body)
        if verdict:
            return err(verdict[0], verdict[3], "signature check failed: " + verdict[3])
        if "x-amz-target" not in auth.split("SignedHeaders=")[1].split(",")[0]:
            return err(403, "IncompleteSignatureException", "x-amz-target is not signed")
        req = json.loads(body or b"{}")
        if req.get("registryIds", [self.ACCOUNT]) != [self.ACCOUNT]:
            return err(400, "InvalidParameterException", "unknown registry id")
        self.ecr_calls.append(auth.split("Credential=")[1].split("/")[0])
        password = "ecr-" + secrets.token_urlsafe(40)
        self.passwords.add(password)
        data = {"authorizationData": [{
            "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
            "expiresAt": time.time() + 43200, "proxyEndpoint": f"https://{ECR_HOST}"}]}
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(data).encode(), "ecr token"


class GoogleFake(o.GcsStore):
    """JWT-bearer token endpoint, metadata server, STS token exchange and
    impersonation; tokens work at the registry as oauth2accesstoken."""
    SCOPE_WORD = "cloud-platform"
    AUDIENCE = "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/kiln/providers/ci"

    def __init__(self, workdir: Path, registry: TokenRegistry):
        super().__init__(workdir)
        self.subject_token = "oidc-" + secrets.token_urlsafe(32)
        self.subject_header = "subj-" + secrets.token_hex(8)
        self.federated = set()
        self.impersonated = set()
        # Federated tokens work directly when the pool's principal has access.
        registry.validators.append(lambda u, p: u == "oauth2accesstoken" and (p in self.tokens or p in self.federated))

    def external_account(self, *, source, impersonate):
        cs = ({"file": source} if source.startswith("/") else
              {"url": f"{self.url}/subject", "headers": {"X-Subject-Key": self.subject_header},
               "format": {"type": "json", "subject_token_field_name": "id_token"}})
        doc = {"type": "external_account", "audience": self.AUDIENCE,
               "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "token_url": f"{self.url}/v1/token",
               "credential_source": cs}
        if impersonate:
            doc["service_account_impersonation_url"] = (
                f"{self.url}/v1/projects/-/serviceAccounts/{self.EMAIL}:generateAccessToken")
        return json.dumps(doc)

    def handle(self, h, body):
        u = urllib.parse.urlsplit(h.path)
        js = {"Content-Type": "application/json"}
        if u.path == "/subject":
            if h.headers.get("X-Subject-Key") != self.subject_header:
                return 403, js, b"{}", "subject refused"
            return 200, js, json.dumps({"id_token": self.subject_token}).encode(), "subject served"
        if u.path == "/v1/token" and h.command == "POST":
            f = dict(urllib.parse.parse_qsl(body.decode()))
            if (f.get("grant_type") != "urn:ietf:params:oauth:grant-type:token-exchange"
                    or f.get("audience") != self.AUDIENCE
                    or f.get("subject_token_type") != "urn:ietf:params:oauth:token-type:jwt"
                    or f.get("requested_token_type") != "urn:ietf:params:oauth:token-type:access_token"
                    or "cloud-platform" not in f.get("scope", "")):
                return 400, js, b'{"error":"invalid_request"}', "sts bad form"
            if f.get("subject_token") != self.subject_token:
                return 400, js, b'{"error":"invalid_grant","error_description":"bad subject"}', "sts bad subject"
            t = "ya29.fed-" + secrets.token_urlsafe(24)
            self.federated.add(t)
            return 200, js, json.dumps({"access_token": t, "issued_token_type":
                                        "urn:ietf:params:oauth:token-type:access_token",
                                        "token_type": "Bearer", "expires_in": 3600}).encode(), "sts issued"
        if u.path.endswith(":generateAccessToken") and h.command == "POST":
            auth = h.headers.get("Authorization", "")
            if not (auth.startswith("Bearer ") and auth[7:] in self.federated):
                return 401, js, b'{"error":{"code":401}}', "impersonation refused"
            if "cloud-platform" not in " ".join(json.loads(body).get("scope", [])):
                return 400, js, b'{"error":{"code":400}}', "impersonation scope"
            t = "ya29.sa-" + secrets.token_urlsafe(24)
            self.tokens.add(t)
            self.impersonated.add(t)
            return 200, js, json.dumps({"accessToken": t, "expireTime": "2099-01-01T00:00:00Z"}).encode(), \
                "impersonated"
        return super().handle(h, body)


class EntraFake(o._Server):
    """Entra ID's token endpoint for one tenant and client; the registry
    front's ACR exchange turns its tokens into refresh tokens."""

    def __init__(self, registry: TokenRegistry):
        super().__init__()
        self.tenant = "72f988bf-" + secrets.token_hex(4)
        self.client_id = "cid-" + secrets.token_hex(6)
        self.federated_token = "eyJ" + secrets.token_urlsafe(40)
        self.client_secret = "sec~" + secrets.token_urlsafe(24)
        self.access_tokens = set()
        self.refresh_tokens = set()
        self.exchanges = []
        registry.exchange = self._exchange
        registry.validators.append(lambda u, p: u == ACR_USER and p in self.refresh_tokens)

    def handle(self, h, body):
        js = {"Content-Type": "application/json"}
        if h.command != "POST" or h.path != f"/{self.tenant}/oauth2/v2.0/token":
            return 404, js, b'{"error":"not_found"}', "unknown path"
        f = dict(urllib.parse.parse_qsl(body.decode()))
        if f.get("grant_type") != "client_credentials" or f.get("client_id") != self.client_id:
            return 400, js, b'{"error":"unauthorized_client"}', "bad client"
        if not f.get("scope", "").endswith("/.default"):
            return 400, js, b'{"error":"invalid_scope"}', "bad scope"
        if "client_assertion" in f:
            ok = (f.get("client_assertion_type") == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
                  and f["client_assertion"] == self.federated_token)
        else:
            ok = f.get("client_secret") == self.client_secret
        if not ok:
            return 401, js, b'{"error":"invalid_client","error_description":"AADSTS7000215"}', "refused"
        t = "aad-" + secrets.token_urlsafe(32)
        self.access_tokens.add(t)
        return 200, js, json.dumps({"token_type": "Bearer", "expires_in": 3599, "access_token": t}).encode(), \
            "issued"

    def _exchange(self, form):
        self.exchanges.append(form.get("service"))
        if (form.get("grant_type") != "access_token" or form.get("service") != ACR_HOST
                or form.get("tenant") != self.tenant or form.get("access_token") not in self.access_tokens):
            return 401, {"errors": [{"code": "UNAUTHORIZED", "message": "exchange refused"}]}
        rt = "acr-rt-" + secrets.token_urlsafe(40)
        self.refresh_tokens.add(rt)
        return 200, {"refresh_token": rt}
