"""Object stores on loopback for the object-store context tests.

- ``S3rver`` / ``Azurite``: the npm servers (scripts/install-npm-tools.sh puts
  them in /var/cache/kiln/npm-tools), started on free 127.0.0.1 ports.
- ``SigV4Store``: a small S3 + STS server written here, because s3rver only
  checks the access key id of a SigV4 request, not its signature. It
  recomputes every signature from the request it received (its own SigV4
  code, independent of kiln's) and refuses mismatches, and it serves
  AssumeRoleWithWebIdentity for one role and one token.
- ``GcsStore``: an OAuth token endpoint that verifies RS256 JWTs with the
  ``openssl`` CLI against the service account's public key, a metadata
  server, and the storage JSON API's media download.

Only the standard library is used.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import secrets
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import kiln_e2e as k

INSTALL_SCRIPT = k.REPO_ROOT / "scripts" / "install-npm-tools.sh"

AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's published development key (documented by Microsoft, not a secret).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def npm_tools_dir() -> Path:
    """Runs the idempotent installer (instant when already installed)."""
    res = subprocess.run(["bash", str(INSTALL_SCRIPT)], capture_output=True, text=True, timeout=900)
    if res.returncode != 0:
        raise RuntimeError(f"{INSTALL_SCRIPT} failed:\n{res.stderr[-4000:]}")
    return Path(res.stdout.strip().splitlines()[-1])


def _wait_port(port, proc, name, log, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n" + log.read_text(errors="replace")[-4000:])
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} not listening on 127.0.0.1:{port} after {timeout}s:\n"
                       + log.read_text(errors="replace")[-4000:])


def request(method, url, body=b"", headers=None, ca=None):
    """One request to loopback (HTTPS trusting only `ca`) -> (status, headers, body)."""
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=30,
                                           context=ssl.create_default_context(cafile=str(ca)))
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        path = u.path + (("?" + u.query) if u.query else "")
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, {n.lower(): v for n, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class _NodeServer:
    def __init__(self, workdir: Path, name: str):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.port = k.free_port()
        self.log = self.workdir / f"{name}.log"
        self.proc = None

    def _start(self, argv):
        with open(self.log, "wb") as logf:
            self.proc = subprocess.Popen(argv, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=self.workdir, start_new_session=True)
        try:
            _wait_port(self.port, self.proc, self.name, self.log)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class S3rver(_NodeServer):
    """s3rver: path-style buckets at http://127.0.0.1:PORT/BUCKET; its only
    access key is S3RVER / S3RVER."""
    ACCESS_KEY = "S3RVER"
    SECRET_KEY = "S3RVER"

    def start(self, tools: Path, pki=None):
        """pki: a kiln_e2e.Pki to serve HTTPS with its server certificate."""
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        self.scheme = "https" if pki else "http"
        self.ca = pki.ca_cert if pki else None
        tls = ["--cert", str(pki.server_cert), "--key", str(pki.server_key)] if pki else []
        return self._start([str(tools / "node_modules/.bin/s3rver"), "--directory", str(data), "--address",
                            "127.0.0.1", "--port", str(self.port), "--silent", *tls])

    @property
    def endpoint(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def create_bucket(self, bucket):
        status, _, body = request("PUT", f"{self.endpoint}/{bucket}", ca=self.ca)
        assert status == 200, f"s3rver create bucket {bucket}: {status} {body[:300]!r}"

    def put(self, bucket, key, data: bytes):
        status, _, body = request("PUT", f"{self.endpoint}/{bucket}/{urllib.parse.quote(key)}", body=data,
                                  headers={"Content-Type": "application/gzip"}, ca=self.ca)
        assert status == 200, f"s3rver put {bucket}/{key}: {status} {body[:300]!r}"


class Azurite(_NodeServer):
    """azurite's blob service with its development account; setup requests
    are signed here with Shared Key (our own Python signer)."""

    def start(self, tools: Path):
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        # --disableTelemetry: this machine reaches no outside host; nothing may try.
        return self._start([str(tools / "node_modules/.bin/azurite-blob"), "--blobHost", "127.0.0.1", "--blobPort",
                            str(self.port), "--location", str(data), "--silent", "--disableTelemetry"])

    @property
    def blob_endpoint(self):
        return f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}"

    def connection_string(self, key=AZURITE_KEY):
        return (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={key};"
                f"BlobEndpoint={self.blob_endpoint};")

    def _signed(self, method, path, query, body=b"", extra=None):
        date = dt.datetime.now(dt.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")
        headers = {"x-ms-date": date, "x-ms-version": "2021-08-06", **(extra or {})}
        length = str(len(body)) if body else ""
        ms = "".join(f"{n}:{v}\n" for n, v in sorted((n.lower(), v) for n, v in headers.items()
                                                     if n.lower().startswith("x-ms-")))
        resource = f"/{AZURITE_ACCOUNT}{path}" + "".join(f"\n{n}:{v}" for n, v in sorted(query.items()))
        content_type = headers.get("Content-Type", "")
        sts = f"{method}\n\n\n{length}\n\n{content_type}\n\n\n\n\n\n\n{ms}{resource}"
        sig = base64.b64encode(hmac.new(base64.b64decode(AZURITE_KEY), sts.encode(), hashlib.sha256).digest())
        headers["Authorization"] = f"SharedKey {AZURITE_ACCOUNT}:{sig.decode()}"
        qs = ("?" + urllib.parse.urlencode(query)) if query else ""
        return request(method, f"http://127.0.0.1:{self.port}{path}{qs}", body=body, headers=headers)

    def create_container(self, container, public=False):
        extra = {"x-ms-blob-public-access": "blob"} if public else None
        status, _, body = self._signed("PUT", f"/{AZURITE_ACCOUNT}/{container}", {"restype": "container"},
                                       extra=extra)
        assert status == 201, f"azurite create container {container}: {status} {body[:500]!r}"

    def put(self, container, blob, data: bytes):
        status, _, body = self._signed("PUT", f"/{AZURITE_ACCOUNT}/{container}/{urllib.parse.quote(blob)}", {},
                                       body=data, extra={"x-ms-blob-type": "BlockBlob",
                                                         "Content-Type": "application/gzip"})
        assert status == 201, f"azurite put {container}/{blob}: {status} {body[:500]!r}"


# ---------------------------------------------------------------------------
# Servers written here
# ---------------------------------------------------------------------------

class _Server:
    """A ThreadingHTTPServer on a free loopback port running handler(self, req)."""

    def __init__(self):
        self.httpd = None
        self.thread = None
        self.scheme = "http"
        self.log = []  # (method, path, outcome) of every request, for assertions

    def start(self, pki=None):
        """pki (a kiln_e2e.Pki): serve HTTPS with its server certificate."""
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def do_GET(self):
                owner._dispatch(self, b"")

            def do_POST(self):
                owner._dispatch(self, self._body())

            def do_PUT(self):
                owner._dispatch(self, self._body())

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        if pki is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(pki.server_cert, pki.server_key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def _dispatch(self, h, body):
        try:
            status, headers, payload, outcome = self.handle(h, body)
        except Exception as e:  # a bug here must show up as a failure, not a hang
            status, headers, payload, outcome = 500, {}, repr(e).encode(), f"error {e!r}"
        self.log.append((h.command, h.path, outcome))
        h.send_response(status)
        for n, v in headers.items():
            h.send_header(n, v)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        h.wfile.write(payload)


class FileServer(_Server):
    """Static files at plain URLs (a CI artefact server): files[path] = bytes;
    the query string is ignored, as a pre-signed link's signature would be
    checked elsewhere."""

    def __init__(self):
        super().__init__()
        self.files = {}

    def handle(self, h, body):
        path = urllib.parse.urlsplit(h.path).path
        if h.command != "GET" or path not in self.files:
            return 404, {}, b"not found\n", "404"
        return 200, {"Content-Type": "application/octet-stream"}, self.files[path], "200"


def _s3_error(status, code, message):
    xml = f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'
    return status, {"Content-Type": "application/xml"}, xml.encode(), code


def _sigv4_signature(secret, amz_date, region, service, canonical_request):
    def mac(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = mac(mac(mac(mac(("AWS4" + secret).encode(), amz_date[:8]), region), service), "aws4_request")
    return hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()


class SigV4Store(_Server):
    """Path-style S3 GET that verifies SigV4, plus STS AssumeRoleWithWebIdentity
    for (role_arn, web_token). Anonymous requests are refused."""

    def __init__(self, region="eu-west-3"):
        super().__init__()
        self.region = region
        self.objects = {}   # (bucket, key) -> bytes
        self.keys = {}      # access key id -> (secret, session token or None)
        self.role_arn = "arn:aws:iam::123456789012:role/kiln-builder"
        self.web_token = "eyJ" + secrets.token_urlsafe(40)
        self.issued = []    # temporary access key ids given out by STS

    def add_key(self, akid=None, secret=None, token=None):
        akid = akid or "AKID" + secrets.token_hex(6).upper()
        secret = secret or secrets.token_urlsafe(30)
        self.keys[akid] = (secret, token)
        return akid, secret

    def handle(self, h, body):
        u = urllib.parse.urlsplit(h.path)
        if h.command == "POST" and u.path == "/":
            return self._sts(body)
        if h.command != "GET":
            return _s3_error(405, "MethodNotAllowed", "only GET")
        auth = h.headers.get("Authorization")
        if not auth:
            return _s3_error(403, "AccessDenied", "Anonymous access is forbidden here")
        verdict = self._verify(h, u, auth)
        if verdict:
            return verdict
        parts = u.path.lstrip("/").split("/", 1)
        bucket = urllib.parse.unquote(parts[0])
        key = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
        if not any(b == bucket for b, _ in self.objects):
            return _s3_error(404, "NoSuchBucket", "The specified bucket does not exist")
        data = self.objects.get((bucket, key))
        if data is None:
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
        return 200, {"Content-Type": "application/gzip"}, data, "served"

    def _verify(self, h, u, auth, want_service="s3", body=None):
        """None when the request's SigV4 signature is right, else the error
        answer. S3 signs x-amz-content-sha256; other services (ECR) sign the
        body's hash without sending it."""
        try:
            algo, rest = auth.split(" ", 1)
            fields = dict(p.strip().split("=", 1) for p in rest.split(","))
            akid, date, region, service, term = fields["Credential"].split("/")
            signed = fields["SignedHeaders"].split(";")
            provided = fields["Signature"]
        except (ValueError, KeyError):
            return _s3_error(400, "AuthorizationHeaderMalformed", "cannot parse the Authorization header")
        if algo != "AWS4-HMAC-SHA256" or term != "aws4_request" or service != want_service:
            return _s3_error(400, "AuthorizationHeaderMalformed", f"not a SigV4 {want_service} signature")
        if akid not in self.keys:
            return _s3_error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist")
        if region != self.region:  # as S3 answers, naming the bucket's region in a header
            status, headers, payload, outcome = _s3_error(
                400, "AuthorizationHeaderMalformed", f"the region '{region}' is wrong; expecting '{self.region}'")
            return status, {**headers, "x-amz-bucket-region": self.region}, payload, "wrong region"
        secret, token = self.keys[akid]
        payload_hash = (h.headers.get("x-amz-content-sha256", "") if service == "s3"
                        else hashlib.sha256(body or b"").hexdigest())
        for required in ("host", "x-amz-date") + (("x-amz-content-sha256",) if service == "s3" else ()):
            if required not in signed:
                return _s3_error(403, "AccessDenied", f"{required} is not signed")
        if token is not None and (h.headers.get("x-amz-security-token") != token
                                  or "x-amz-security-token" not in signed):
            return _s3_error(403, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        amz_date = h.headers.get("x-amz-date", "")
        try:
            when = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            return _s3_error(403, "AccessDenied", "bad x-amz-date")
        if abs((dt.datetime.now(dt.timezone.utc) - when).total_seconds()) > 900 or date != amz_date[:8]:
            return _s3_error(403, "RequestTimeTooSkewed", "The difference between the request time and now is too large")
        query = sorted((urllib.parse.quote(n, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                       for n, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        canonical_headers = "".join(f"{n}:{' '.join(h.headers.get(n, '').split())}\n" for n in signed)
        canonical = "\n".join([h.command, u.path, "&".join(f"{n}={v}" for n, v in query), canonical_headers,
                               ";".join(signed), payload_hash])
        expected = _sigv4_signature(secret, amz_date, region, service, canonical)
        if not hmac.compare_digest(expected, provided):
            return _s3_error(403, "SignatureDoesNotMatch",
                             "The request signature we calculated does not match the signature you provided.")
        return None

    def _sts(self, body):
        form = dict(urllib.parse.parse_qsl(body.decode()))
        if form.get("Action") != "AssumeRoleWithWebIdentity":
            return _s3_error(400, "InvalidAction", "unsupported action")
        if form.get("RoleArn") != self.role_arn:
            return _s3_error(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        if form.get("WebIdentityToken") != self.web_token:
            return _s3_error(400, "InvalidIdentityToken", "The web identity token that was passed is not valid")
        token = secrets.token_urlsafe(48)
        akid, secret = self.add_key("ASIA" + secrets.token_hex(8).upper(), token=token)
        self.issued.append(akid)
        xml = ('<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
               "<AssumeRoleWithWebIdentityResult><Credentials>"
               f"<AccessKeyId>{akid}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
               f"<SessionToken>{token}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
               "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>")
        return 200, {"Content-Type": "text/xml"}, xml.encode(), "sts-issued"


def _b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class GcsStore(_Server):
    """Token endpoint (/token, JWT-bearer grant verified with openssl),
    metadata server token, and GET /storage/v1/b/B/o/O?alt=media."""
    EMAIL = "kiln-builder@kiln-test.iam.gserviceaccount.com"
    SCOPE_WORD = "devstorage"  # the JWT's scope must name it

    def __init__(self, workdir: Path):
        super().__init__()
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.objects = {}
        self.tokens = set()
        self.private_key = self.workdir / "sa.pem"
        self.public_key = self.workdir / "sa.pub.pem"
        k.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
               "-out", str(self.private_key)])
        k.run(["openssl", "pkey", "-in", str(self.private_key), "-pubout", "-out", str(self.public_key)])
        self.metadata_token = "ya29.metadata-" + secrets.token_urlsafe(16)

    @property
    def token_uri(self):
        return f"{self.url}/token"

    def key_json(self, *, private_key: Path | None = None) -> str:
        return json.dumps({
            "type": "service_account", "project_id": "kiln-test", "private_key_id": secrets.token_hex(20),
            "private_key": Path(private_key or self.private_key).read_text(), "client_email": self.EMAIL,
            "client_id": "1234567890", "token_uri": self.token_uri,
        })

    def _verify_jwt(self, jwt):
        try:
            h64, c64, s64 = jwt.split(".")
            header = json.loads(_b64url_decode(h64))
            claims = json.loads(_b64url_decode(c64))
            sig = _b64url_decode(s64)
        except ValueError as e:
            return f"malformed JWT: {e}"
        if header.get("alg") != "RS256":
            return f"alg {header.get('alg')}"
        now = time.time()
        if claims.get("iss") != self.EMAIL or claims.get("aud") != self.token_uri:
            return f"wrong iss/aud {claims.get('iss')} {claims.get('aud')}"
        if self.SCOPE_WORD not in claims.get("scope", ""):
            return f"scope {claims.get('scope')}"
        if not (claims.get("iat", 0) - 300 <= now < claims.get("exp", 0)):
            return "expired or not yet valid"
        with tempfile.TemporaryDirectory() as d:
            (Path(d) / "data").write_bytes(f"{h64}.{c64}".encode())
            (Path(d) / "sig").write_bytes(sig)
            r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(self.public_key), "-signature",
                                str(Path(d) / "sig"), str(Path(d) / "data")], capture_output=True, text=True)
        return None if r.returncode == 0 and "Verified OK" in r.stdout else "signature does not verify"

    def handle(self, h, body):
        u = urllib.parse.urlsplit(h.path)
        js = {"Content-Type": "application/json"}
        if h.command == "POST" and u.path == "/token":
            form = dict(urllib.parse.parse_qsl(body.decode()))
            if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
                return 400, js, json.dumps({"error": "unsupported_grant_type"}).encode(), "bad grant"
            why = self._verify_jwt(form.get("assertion", ""))
            if why:
                return 400, js, json.dumps({"error": "invalid_grant", "error_description": why}).encode(), why
            token = "ya29." + secrets.token_urlsafe(24)
            self.tokens.add(token)
            return 200, js, json.dumps({"access_token": token, "expires_in": 3599,
                                        "token_type": "Bearer"}).encode(), "token issued"
        if u.path == "/computeMetadata/v1/instance/service-accounts/default/token":
            if h.headers.get("Metadata-Flavor") != "Google":
                return 403, js, b'{"error":"Metadata-Flavor header missing"}', "no flavor"
            self.tokens.add(self.metadata_token)
            return 200, js, json.dumps({"access_token": self.metadata_token, "expires_in": 3599,
                                        "token_type": "Bearer"}).encode(), "metadata token"
        prefix = "/storage/v1/b/"
        if h.command == "GET" and u.path.startswith(prefix) and "/o/" in u.path:
            if urllib.parse.parse_qs(u.query).get("alt") != ["media"]:
                return 400, js, b'{"error":{"code":400,"message":"alt=media expected"}}', "no alt"
            auth = h.headers.get("Authorization", "")
            if not (auth.startswith("Bearer ") and auth[7:] in self.tokens):
                err = {"error": {"code": 401, "message": "Invalid Credentials"}}
                return 401, js, json.dumps(err).encode(), "unauthorized"
            bucket, obj = u.path[len(prefix):].split("/o/", 1)
            if "/" in obj:  # the object name must be one encoded path segment
                return 400, js, b'{"error":{"code":400,"message":"unencoded object name"}}', "unencoded"
            data = self.objects.get((urllib.parse.unquote(bucket), urllib.parse.unquote(obj)))
            if data is None:
                err = {"error": {"code": 404, "message": f"No such object: {bucket}/{urllib.parse.unquote(obj)}"}}
                return 404, js, json.dumps(err).encode(), "missing"
            return 200, {"Content-Type": "application/octet-stream"}, data, "served"
        return 404, js, b'{"error":"not found"}', "unknown path"
