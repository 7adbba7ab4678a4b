"""A real smart-HTTP git server for the e2e tests: Debian's `git http-backend`
run as a CGI program behind a small http.server, on a loopback port, plain or
TLS, with or without Basic auth (checked here, before the CGI runs).

    srv = GitHttpServer(project_root, tls=(cert, key), auth=("user", "pass")).start()
    srv.url("app.git")   # -> "https://127.0.0.1:PORT/app.git"
    srv.stop()

git(cwd, *args) runs the git CLI with a fixed identity and dates, no system
config, for making the repositories the server serves.
"""
from __future__ import annotations

import base64
import os
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def git(cwd, *args):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "kiln", "GIT_AUTHOR_EMAIL": "kiln@example.com",
           "GIT_COMMITTER_NAME": "kiln", "GIT_COMMITTER_EMAIL": "kiln@example.com",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}
    p = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always", *args],
                       cwd=cwd, env=env, capture_output=True, text=True)
    assert p.returncode == 0, f"git {' '.join(args)}: {p.stderr}"
    return p.stdout.strip()


class _Handler(BaseHTTPRequestHandler):
    server_version = "kiln-e2e-git/1"

    def log_message(self, fmt, *args):  # keep pytest output readable
        self.server.requests.append(f"{self.command} {self.path}")

    def _authorised(self) -> bool:
        auth = self.server.auth
        if auth is None:
            return True
        want = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        return self.headers.get("Authorization", "") == want

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self):
        if not self._authorised():
            self.server.rejected += 1
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="kiln-e2e-git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": str(self.server.project_root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_USER": self.server.auth[0] if self.server.auth else "",
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        body = self._body() if self.command == "POST" else b""
        env["CONTENT_LENGTH"] = str(len(body))
        p = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60)
        head, _, payload = p.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = p.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve


class GitHttpServer:
    def __init__(self, project_root: Path, *, tls: tuple[Path, Path] | None = None,
                 auth: tuple[str, str] | None = None):
        self.project_root = Path(project_root)
        self.tls = tls
        self.auth = auth
        self._httpd = None
        self._thread = None

    @property
    def scheme(self):
        return "https" if self.tls else "http"

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def requests(self):
        return self._httpd.requests

    def authority(self, host="127.0.0.1"):
        return f"{host}:{self.port}"

    def url(self, repo, host="127.0.0.1"):
        return f"{self.scheme}://{self.authority(host)}/{repo}"

    def start(self):
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        httpd.daemon_threads = True
        httpd.project_root = self.project_root
        httpd.auth = self.auth
        httpd.requests = []
        httpd.rejected = 0
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(self.tls[0]), str(self.tls[1]))
            httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, name="git-http", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=10)
            self._httpd = None
