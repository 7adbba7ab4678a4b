"""A real smart-HTTP git server for the e2e tests: Debian's `git http-backend`
run as a CGI program behind a small http.server, on a loopback port, plain or
TLS, with or without Basic auth (checked here, before the CGI runs).

    srv = GitHttpServer(project_root, tls=(cert, key), auth=("user", "pass")).start()
    srv.url("app.git")   # -> "https://127.0.0.1:PORT/app.git"
    srv.stop()

git(cwd, *args) runs the git CLI with a fixed identity and dates, no system
config, for making the repositories the server serves; make_history(bare,
commits, files) writes a bare repository with a long linear history in one
`git fast-import` (5,000 commits in seconds), for shallow fetches.
"""
from __future__ import annotations

import base64
import os
import random
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _git_env(cwd):
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "kiln", "GIT_AUTHOR_EMAIL": "kiln@example.com",
           "GIT_COMMITTER_NAME": "kiln", "GIT_COMMITTER_EMAIL": "kiln@example.com",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}


def git(cwd, *args):
    p = subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "protocol.file.allow=always", *args],
                       cwd=cwd, env=_git_env(cwd), capture_output=True, text=True)
    assert p.returncode == 0, f"git {' '.join(args)}: {p.stderr}"
    return p.stdout.strip()


def make_history(bare: Path, commits: int, files: dict[str, str], *, churn_files=20, lines=60, seed=1):
    """A bare repository at `bare` whose branch main has `commits` commits in a
    line: the first adds `files` and `churn_files` text files of `lines`
    pseudo-random lines; each later one rewrites a few lines of one of them
    (so packs delta well, as in a real project) and writes its number to
    counter.txt. Deterministic for a seed. Returns main's commit ids, oldest
    first."""
    rnd = random.Random(seed)
    word = lambda: "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9)))
    text = {f"src/f{i:03}.txt": [" ".join(word() for _ in range(8)) for _ in range(lines)]
            for i in range(churn_files)}
    out = bytearray()

    def data(b: bytes):
        out.extend(b"data %d\n" % len(b) + b + b"\n")

    for n in range(1, commits + 1):
        out.extend(b"commit refs/heads/main\nmark :%d\n" % n)
        out.extend(b"committer kiln <kiln@example.com> %d +0000\n" % (1704067200 + n * 60))
        data(b"commit %d" % n)
        if n > 1:
            out.extend(b"from :%d\n" % (n - 1))
        changed = dict(files) if n == 1 else {}
        names = sorted(text) if n == 1 else [f"src/f{rnd.randrange(churn_files):03}.txt"]
        for name in names:
            if n > 1:
                for _ in range(3):
                    text[name][rnd.randrange(lines)] = " ".join(word() for _ in range(8))
            changed[name] = "\n".join(text[name]) + "\n"
        changed["counter.txt"] = f"{n}\n"
        for name, content in changed.items():
            out.extend(b"M 100644 inline " + name.encode() + b"\n")
            data(content.encode())
    git(bare.parent, "init", "-q", "--bare", str(bare))
    p = subprocess.run(["git", "fast-import", "--quiet"], cwd=bare, env=_git_env(bare), input=bytes(out),
                       capture_output=True)
    assert p.returncode == 0, f"git fast-import: {p.stderr.decode(errors='replace')}"
    git(bare, "symbolic-ref", "HEAD", "refs/heads/main")
    git(bare, "repack", "-a", "-d", "-q")  # one pack, as a served repository has
    return git(bare, "rev-list", "--reverse", "main").split()


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
