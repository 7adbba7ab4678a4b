"""A fault-injecting HTTP reverse proxy for registry tests (stdlib only).

kiln is pointed at the proxy as if it were the registry; the proxy forwards
every request to a real docker-registry on loopback and, for the requests a
fault matches, misbehaves the way networks and overloaded registries do:

  reset        answer headers and half the body, then RST the connection
               (for a request that carries a body: read half of it, then RST)
  status       answer `status` (500, 502, 503, …) without asking upstream;
               with `statuses`, the n-th fault answers statuses[n % len];
               `body` replaces the default error body
  throttle     answer 429 with "Retry-After: `retry_after`"
  trickle      send the answer's body in `chunk`-byte pieces, `delay` seconds
               apart (for any method: git packs answer a POST)
  truncate     announce the full Content-Length, send half, close
  short_length announce and send only half of the body (consistent framing,
               wrong size): only the descriptor's size can tell
  corrupt      flip bytes in the middle of the body (same length): only the
               digest can tell; for an upload the bytes forwarded are flipped
  delay        wait `delay` seconds, then pass the request through unchanged;
               `peak` records how many delayed requests were in flight at
               once (a client that sends them together reaches more than 1)

A fault applies to the first `count` requests its predicate matches; later
ones pass through. `injected` counts what was actually done, so a test can
prove the fault happened at all. The proxy keeps connections alive as
HTTP/1.1 does and forwards the Host header unchanged, so the registry's
Location headers name the proxy and uploads keep going through it.
"""
from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "content-length", "expect"}


def is_blob_get(method, path):
    return method == "GET" and "/blobs/sha256:" in path


def is_upload(method, path):
    return method in ("POST", "PATCH", "PUT") and "/blobs/uploads" in path


def is_upload_with_body(method, path):
    return method in ("PATCH", "PUT") and "/blobs/uploads" in path


def any_request(method, path):
    return True


@dataclass
class Fault:
    mode: str
    match: Callable[[str, str], bool] = any_request
    count: int = 1
    status: int = 503
    statuses: tuple = ()
    retry_after: int = 1
    body: bytes | None = None  # a status fault's answer body (default: an UNAVAILABLE error)
    chunk: int = 2048
    delay: float = 0.002
    injected: int = 0
    seen: list = field(default_factory=list)  # (method, path) of the faulted requests
    active: int = 0  # delay: requests waiting now
    peak: int = 0    # delay: most requests waiting at once


class _Closed(Exception):
    pass


class FaultProxy:
    def __init__(self, upstream: str):
        self.upstream = upstream  # "127.0.0.1:PORT" of the real registry
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.host = f"127.0.0.1:{self.port}"
        self.fault: Fault | None = None
        self.requests: list = []  # (method, path, status sent) of every request
        self._lock = threading.Lock()
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    # -- control --
    def arm(self, fault: Fault | None):
        with self._lock:
            self.fault = fault
            self.requests = []
        return fault

    def close(self):
        self._stop = True
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            pass
        self._sock.close()

    def ref(self, name):
        return f"{self.host}/{name}"

    # -- plumbing --
    def _take(self, method, path):
        """The fault to inject into this request, or None."""
        with self._lock:
            f = self.fault
            if f is None or f.injected >= f.count or not f.match(method, path):
                return None
            f.injected += 1
            f.seen.append((method, path))
            if f.statuses:
                f.status = f.statuses[(f.injected - 1) % len(f.statuses)]
            return f

    def _accept(self):
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if self._stop:
                conn.close()
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        rfile = conn.makefile("rb")
        try:
            while self._one(conn, rfile):
                pass
        except (_Closed, OSError, ValueError):
            pass
        finally:
            try:
                rfile.close()
                conn.close()
            except OSError:
                pass

    @staticmethod
    def _reset(conn):
        # SO_LINGER 0: close() sends RST instead of FIN.
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        raise _Closed()

    @staticmethod
    def _read_headers(rfile):
        line = rfile.readline(65537)
        if not line:
            raise _Closed()
        method, target, _version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        headers = []
        while True:
            h = rfile.readline(65537).decode("latin-1").rstrip("\r\n")
            if not h:
                break
            k, v = h.split(":", 1)
            headers.append((k.strip(), v.strip()))
        return method, target, headers

    @staticmethod
    def _header(headers, name):
        for k, v in headers:
            if k.lower() == name:
                return v
        return None

    def _read_body(self, conn, rfile, headers, fault):
        """The request body, de-chunked. A reset fault reads half, then RSTs."""
        if (self._header(headers, "expect") or "").lower() == "100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        length = self._header(headers, "content-length")
        chunked = (self._header(headers, "transfer-encoding") or "").lower() == "chunked"
        if length is not None:
            n = int(length)
            if fault and fault.mode == "reset" and n > 1:
                rfile.read(n // 2)
                self._reset(conn)
            return rfile.read(n)
        if not chunked:
            return b""
        body = bytearray()
        while True:
            size = int(rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline(65537).strip():
                    pass  # trailers
                break
            body += rfile.read(size)
            rfile.readline(3)
            if fault and fault.mode == "reset" and len(body) > 0:
                self._reset(conn)
        return bytes(body)

    @staticmethod
    def _flip(body: bytes) -> bytes:
        if not body:
            return body
        b = bytearray(body)
        mid = len(b) // 2
        for i in range(mid, min(mid + 16, len(b))):
            b[i] ^= 0xFF
        return bytes(b)

    def _send(self, conn, status, reason, headers, body, *, length=None, payload=None):
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines += [f"{k}: {v}" for k, v in headers]
        lines.append(f"Content-Length: {len(body) if length is None else length}")
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if payload is None:
            payload = body
        if payload:
            conn.sendall(payload)

    def _one(self, conn, rfile):
        method, target, headers = self._read_headers(rfile)
        fault = self._take(method, target)
        body = self._read_body(conn, rfile, headers, fault if fault and method != "GET" else None)
        if fault and fault.mode == "corrupt" and body:
            body = self._flip(body)  # an upload whose bytes changed on the way
        if fault and fault.mode == "delay":
            self._wait(fault)
        if fault and fault.mode in ("status", "throttle"):
            status = 429 if fault.mode == "throttle" else fault.status
            extra = [("Content-Type", "application/json")]
            if fault.mode == "throttle":
                extra.append(("Retry-After", str(fault.retry_after)))
            err = (fault.body or b'{"errors":[{"code":"UNAVAILABLE","message":"injected by the kiln fault proxy"}]}'
                   if method != "HEAD" else b"")
            self._log(method, target, status)
            self._send(conn, status, "Injected", extra, err, length=len(err))
            return True

        up = http.client.HTTPConnection(self.upstream, timeout=60)
        try:
            # Repeated headers (clients send one Accept per media type) are
            # joined, as HTTP allows for list-valued fields.
            fwd = {}
            for k, v in headers:
                if k.lower() not in HOP_BY_HOP:
                    fwd[k] = f"{fwd[k]}, {v}" if k in fwd else v
            up.request(method, target, body=body if body or method in ("PUT", "PATCH", "POST") else None,
                       headers=fwd)
            resp = up.getresponse()
            rbody = resp.read()
            rheaders = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
            declared = resp.getheader("Content-Length")
        finally:
            up.close()
        self._log(method, target, resp.status)
        if method == "HEAD":
            self._send(conn, resp.status, resp.reason, rheaders, b"", length=int(declared or 0), payload=b"")
            return True
        # Answers are damaged for GETs; trickle slows any answer (a git
        # pack comes back to a POST).
        mode = fault.mode if fault and (method == "GET" or fault.mode == "trickle") else None
        half = len(rbody) // 2
        if mode == "reset" and rbody:
            self._send(conn, resp.status, resp.reason, rheaders, rbody, payload=rbody[:half])
            self._reset(conn)
        if mode == "truncate" and rbody:
            self._send(conn, resp.status, resp.reason, rheaders, rbody, payload=rbody[:half])
            conn.shutdown(socket.SHUT_RDWR)
            raise _Closed()
        if mode == "short_length" and rbody:
            self._send(conn, resp.status, resp.reason, rheaders, rbody[:half])
            return True
        if mode == "corrupt":
            rbody = self._flip(rbody)
        if mode == "trickle" and rbody:
            self._send(conn, resp.status, resp.reason, rheaders, rbody, payload=b"")
            for i in range(0, len(rbody), fault.chunk):
                conn.sendall(rbody[i:i + fault.chunk])
                time.sleep(fault.delay)
            return True
        self._send(conn, resp.status, resp.reason, rheaders, rbody)
        return True

    def _wait(self, fault):
        with self._lock:
            fault.active += 1
            fault.peak = max(fault.peak, fault.active)
        time.sleep(fault.delay)
        with self._lock:
            fault.active -= 1

    def _log(self, method, target, status):
        with self._lock:
            self.requests.append((method, target, status))
