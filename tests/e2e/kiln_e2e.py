"""Helpers for kiln's end-to-end tests: registries, hand-made base images,
the sandbox runner and skopeo/umoci inspection.

Fixtures live in conftest.py; this module holds the plain code so that test
files can import the helpers they call directly (``from kiln_e2e import ...``).
Only the standard library is used (PyPI is not reachable here).
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

_HERE = Path(__file__).resolve()
REPO_ROOT = _HERE.parents[2] if len(_HERE.parents) > 2 else _HERE.parent  # tests/e2e/ -> repo
SANDBOX = REPO_ROOT / "scripts" / "sandbox.sh"
DEFAULT_EXECUTOR = REPO_ROOT / "build" / "static" / "executor"

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip"

BASE_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
FIXED_MTIME = 1700000000  # 2023-11-14T22:13:20Z, any fixed instant will do
FIXED_CREATED = "2023-11-14T22:13:20Z"

# The message kaniko prints when it believes it is not in a container.
NOT_IN_CONTAINER_MSG = ("kaniko should only be run inside of a container, "
                        "run with the --force flag if you are sure you want to continue")

# Tools the harness needs, with the Debian package that provides each.
REQUIRED_TOOLS = {
    "docker-registry": "docker-registry",
    "skopeo": "skopeo",
    "umoci": "umoci",
    "htpasswd": "apache2-utils",
    "openssl": "openssl",
    "unshare": "util-linux",
    "chroot": "coreutils",
    "file": "file",
}


# ---------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------

class CommandFailed(AssertionError):
    pass


def run(cmd, *, check=True, timeout=300, input=None, env=None, cwd=None):
    """Run a command (list of str/Path), capture text output."""
    cmd = [str(c) for c in cmd]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                           input=input, env=env, cwd=cwd)
    except subprocess.TimeoutExpired as e:
        raise CommandFailed(f"timed out after {timeout}s: {' '.join(cmd)}\n"
                            f"stdout: {e.stdout}\nstderr: {e.stderr}") from None
    if check and p.returncode != 0:
        raise CommandFailed(f"command failed (rc={p.returncode}): {' '.join(cmd)}\n"
                            f"--- stdout ---\n{p.stdout[-4000:]}\n--- stderr ---\n{p.stderr[-4000:]}")
    return p


def missing_requirements():
    """Return a list of human-readable problems with this machine, empty if fine."""
    problems = []
    if os.geteuid() != 0:
        problems.append("the e2e tests must run as root (unshare, chroot, umoci unpack)")
    for tool, pkg in REQUIRED_TOOLS.items():
        if shutil.which(tool) is None:
            problems.append(f"'{tool}' not found: apt-get install {pkg}")
    if not os.access("/bin/busybox", os.X_OK):
        problems.append("/bin/busybox not found: apt-get install busybox-static")
    elif "statically linked" not in run(["file", "-L", "/bin/busybox"], check=False).stdout:
        problems.append("/bin/busybox is not statically linked: apt-get install busybox-static")
    if not SANDBOX.is_file():
        problems.append(f"{SANDBOX} is missing")
    return problems


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc, timeout=10):
    """Ends a server process: SIGTERM, then SIGKILL when it is still there after `timeout` s."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def closed_port():
    """A loopback port nothing listens on (bound then released)."""
    return free_port()


# ---------------------------------------------------------------------------
# PKI (openssl CLI)
# ---------------------------------------------------------------------------

@dataclass
class Pki:
    dir: Path
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path
    cert_dir: Path  # a directory holding only ca.crt, for skopeo --cert-dir


def make_pki(directory: Path) -> Pki:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = d / "ca.key", d / "ca.crt"
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
         "-keyout", ca_key, "-out", ca_cert, "-days", "3",
         "-subj", "/CN=kiln e2e test CA",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    key, csr, cert = d / "server.key", d / "server.csr", d / "server.crt"
    # The CN deliberately matches nothing: only the subjectAltNames can make
    # https://127.0.0.1:PORT verify, so IP SAN matching is exercised.
    run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-sha256",
         "-keyout", key, "-out", csr, "-subj", "/CN=kiln-e2e-registry"])
    ext = d / "server.ext"
    ext.write_text("basicConstraints=CA:FALSE\n"
                   "keyUsage=critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=serverAuth\n"
                   "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
         "-CAcreateserial", "-out", cert, "-days", "3", "-sha256", "-extfile", ext])
    cert_dir = d / "certs.d"
    cert_dir.mkdir(exist_ok=True)
    shutil.copy(ca_cert, cert_dir / "ca.crt")
    return Pki(d, ca_cert, ca_key, cert, key, cert_dir)


# ---------------------------------------------------------------------------
# Registries
# ---------------------------------------------------------------------------

REGISTRIES: dict[str, "Registry"] = {}  # host:port -> Registry, for ref lookups


class Registry:
    """A docker-registry (distribution 2.8) on a free loopback port.

    Attributes: host ("127.0.0.1:PORT"), port, tls, auth, ca (CA cert path or
    None), cert_dir (dir with ca.crt, for skopeo), username/password (None
    without auth), storage (the filesystem driver's root directory).
    """

    def __init__(self, workdir: Path, *, tls=False, auth=False, pki: Pki | None = None,
                 name="registry"):
        if (tls or auth) and pki is None:
            raise ValueError("a TLS registry needs a Pki")
        self.name = name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.tls = tls or auth  # Basic auth is only ever used over TLS here
        self.auth = auth
        self.pki = pki if self.tls else None
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.storage = self.workdir / "storage"
        self.storage.mkdir(exist_ok=True)
        self.username = self.password = None
        if auth:
            self.username = "kiln-" + secrets.token_hex(3)
            self.password = "pw-" + secrets.token_urlsafe(18)
        self.proc = None
        self.log = self.workdir / "registry.log"

    # -- life cycle --
    @property
    def scheme(self):
        return "https" if self.tls else "http"

    @property
    def url(self):
        return f"{self.scheme}://{self.host}"

    @property
    def ca(self):
        return self.pki.ca_cert if self.pki else None

    @property
    def cert_dir(self):
        return self.pki.cert_dir if self.pki else None

    def _config(self):
        lines = [
            "version: 0.1",
            "log:",
            "  level: info",
            "  accesslog:",
            "    disabled: true",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.storage}",
            "  delete:",
            "    enabled: true",
            "  maintenance:",
            "    uploadpurging:",
            "      enabled: false",
            "http:",
            f"  addr: {self.host}",
            "  secret: kiln-e2e-" + secrets.token_hex(8),
        ]
        if self.tls:
            lines += ["  tls:",
                      f"    certificate: {self.pki.server_cert}",
                      f"    key: {self.pki.server_key}"]
        if self.auth:
            htpasswd = self.workdir / "htpasswd"
            out = run(["htpasswd", "-Bbn", self.username, self.password]).stdout
            htpasswd.write_text(out.strip() + "\n")
            lines += ["auth:", "  htpasswd:", "    realm: kiln-e2e",
                      f"    path: {htpasswd}"]
        return "\n".join(lines) + "\n"

    def start(self, timeout=30):
        cfg = self.workdir / "config.yml"
        cfg.write_text(self._config())
        logf = open(self.log, "wb")
        try:
            self.proc = subprocess.Popen(["docker-registry", "serve", str(cfg)],
                                         stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        finally:
            logf.close()
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n"
                                   + self.log.read_text(errors="replace")[-4000:])
            try:
                status = self.get("/v2/", auth=False)[0]
                if status in (200, 401):
                    REGISTRIES[self.host] = self
                    return self
                last = f"HTTP {status}"
            except (OSError, urllib.error.URLError) as e:
                last = e
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} on {self.host} not ready after {timeout}s: {last}\n"
                           + self.log.read_text(errors="replace")[-4000:])

    def stop(self):
        REGISTRIES.pop(self.host, None)
        stop_process(self.proc)
        self.proc = None

    # -- talking to it directly --
    def ssl_context(self):
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=str(self.ca))

    def get(self, path, *, auth=True, user=None, password=None, method="GET"):
        """(status, headers, body) of a request to the registry's API."""
        req = urllib.request.Request(self.url + path, method=method)
        if self.auth and auth:
            token = base64.b64encode(f"{user or self.username}:{password or self.password}"
                                     .encode()).decode()
            req.add_header("Authorization", "Basic " + token)
        try:
            with urllib.request.urlopen(req, context=self.ssl_context(), timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    # -- for kiln --
    def ref(self, name):
        """Full reference for a repository[:tag] in this registry."""
        return f"{self.host}/{name}"

    def auth_string(self, username=None, password=None):
        u = username or self.username
        p = password or self.password
        return base64.b64encode(f"{u}:{p}".encode()).decode()

    def docker_config(self, path, *, username=None, password=None, key=None):
        """Write {"auths":{HOST:PORT:{"auth":base64(user:pass)}}} to path."""
        if not (self.auth or username):
            raise ValueError(f"{self.name} has no credentials")
        key = key or self.host
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"auths": {key: {"auth": self.auth_string(username, password)}}}))
        return path

    def insecure_args(self):
        """kaniko flags that let a plain-HTTP registry be used for pull and push."""
        return [] if self.tls else ["--insecure", "--insecure-pull"]

    # -- for skopeo --
    def skopeo_args(self, prefix=""):
        """TLS/credential flags for skopeo; prefix is "", "src-" or "dest-"."""
        if not self.tls:
            args = [f"--{prefix}tls-verify=false"]
        else:
            args = [f"--{prefix}cert-dir", str(self.cert_dir)]
        if self.auth:
            args += [f"--{prefix}creds", f"{self.username}:{self.password}"]
        return args

    def blob_path(self, digest):
        algo, hexd = digest.split(":", 1)
        return self.storage / "docker/registry/v2/blobs" / algo / hexd[:2] / hexd / "data"

    def __repr__(self):
        return f"<{self.name} {self.url} auth={self.auth}>"


def registry_for(ref) -> Registry:
    host = ref.split("/", 1)[0]
    if host not in REGISTRIES:
        raise KeyError(f"no running test registry serves {ref}")
    return REGISTRIES[host]


# ---------------------------------------------------------------------------
# skopeo / umoci inspection
# ---------------------------------------------------------------------------

def inspect_raw_manifest(ref) -> bytes:
    reg = registry_for(ref)
    p = subprocess.run(["skopeo", "inspect", "--raw", *reg.skopeo_args(), f"docker://{ref}"],
                       capture_output=True, timeout=120)
    if p.returncode != 0:
        raise CommandFailed(f"skopeo inspect --raw docker://{ref} failed: "
                            f"{p.stderr.decode(errors='replace')}")
    return p.stdout


def inspect_manifest(ref) -> dict:
    return json.loads(inspect_raw_manifest(ref))


def inspect_config(ref) -> dict:
    reg = registry_for(ref)
    out = run(["skopeo", "inspect", "--config", "--raw", *reg.skopeo_args(), f"docker://{ref}"]).stdout
    return json.loads(out)


def image_digest(ref) -> str:
    """Digest of the manifest the tag points to (sha256 of its raw bytes)."""
    return "sha256:" + hashlib.sha256(inspect_raw_manifest(ref)).hexdigest()


def image_exists(ref) -> bool:
    """True if ref resolves; False only for a clean "no such manifest" answer."""
    reg = registry_for(ref)
    p = run(["skopeo", "inspect", "--raw", *reg.skopeo_args(), f"docker://{ref}"], check=False)
    if p.returncode == 0:
        return True
    if re.search(r"manifest unknown|not found|name unknown|404", p.stderr, re.I):
        return False
    raise CommandFailed(f"cannot tell whether {ref} exists: {p.stderr}")


def pull_rootfs(ref, workdir: Path) -> Path:
    """skopeo copy the image into an OCI layout, umoci unpack it; return rootfs."""
    reg = registry_for(ref)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    layout = workdir / "layout"
    bundle = workdir / "bundle"
    run(["skopeo", "copy", "--quiet", *reg.skopeo_args("src-"), f"docker://{ref}", f"oci:{layout}:x"])
    run(["umoci", "unpack", "--image", f"{layout}:x", bundle])
    return bundle / "rootfs"


def unpack_layout(layout_ref: str, workdir: Path) -> Path:
    """umoci unpack an OCI layout reference (DIR:TAG); return rootfs."""
    bundle = Path(workdir) / "bundle"
    run(["umoci", "unpack", "--image", layout_ref, bundle])
    return bundle / "rootfs"


# ---------------------------------------------------------------------------
# Hand-made images
# ---------------------------------------------------------------------------

@dataclass
class Entry:
    """One tar member: kind is 'dir', 'file' or 'symlink'."""
    name: str
    kind: str
    mode: int = 0o755
    uid: int = 0
    gid: int = 0
    data: bytes = b""
    target: str = ""


def deterministic_tar(entries) -> bytes:
    """A tar of entries: sorted, fixed mtime, numeric owners, no user names."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for e in sorted(entries, key=lambda e: e.name):
            ti = tarfile.TarInfo(e.name + ("/" if e.kind == "dir" else ""))
            ti.mtime = FIXED_MTIME
            ti.mode = e.mode
            ti.uid, ti.gid = e.uid, e.gid
            ti.uname = ti.gname = ""
            if e.kind == "dir":
                ti.type = tarfile.DIRTYPE
                tf.addfile(ti)
            elif e.kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = e.target
                tf.addfile(ti)
            elif e.kind == "file":
                ti.type = tarfile.REGTYPE
                ti.size = len(e.data)
                tf.addfile(ti, io.BytesIO(e.data))
            else:
                raise ValueError(e.kind)
    return buf.getvalue()


def gzip_bytes(data: bytes, level=9) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def foreign_busybox_base(registry, arch, workdir: Path) -> str:
    """REGISTRY/busybox-ARCH:latest, a one-layer image of Debian's busybox-static
    for arch (scripts/foreign-busybox.sh), its config saying that architecture."""
    busybox = run([str(REPO_ROOT / "scripts/foreign-busybox.sh"), arch]).stdout.strip()
    image = write_oci_layout(Path(workdir) / f"busybox-{arch}", busybox_layers(busybox),
                             history=BUSYBOX_HISTORY, config_extra={"Cmd": ["sh"]}, arch=arch)
    ref = registry.ref(f"busybox-{arch}:latest")
    push_layout(image, ref)
    return ref


def host_arch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "ppc64le": "ppc64le",
            "s390x": "s390x", "riscv64": "riscv64", "i686": "386"}.get(m, m)


def elf_arch(file_description: str):
    """The OCI architecture named by `file -L`'s description of an ELF binary."""
    for needle, arch in (("x86-64", "amd64"), ("ARM aarch64", "arm64"), ("IBM S/390", "s390x"),
                         ("64-bit LSB executable, 64-bit PowerPC", "ppc64le"),
                         ("64-bit MSB executable, 64-bit PowerPC", "ppc64"), ("RISC-V", "riscv64")):
        if needle in file_description:
            return arch
    return None


@dataclass
class LayoutImage:
    """An image written by hand into an OCI layout directory."""
    layout: Path
    tag: str
    manifest_digest: str
    config: dict
    layer_digests: list  # compressed digests
    diff_ids: list
    layer_blobs: dict = field(default_factory=dict)  # digest -> compressed bytes
    layer_tars: list = field(default_factory=list)  # uncompressed tars

    @property
    def oci_ref(self):
        return f"oci:{self.layout}:{self.tag}"


def write_oci_layout(layout: Path, layers, *, history=None, config_extra=None,
                     tag="latest", level=9, arch=None) -> LayoutImage:
    """Write an image made of `layers` (uncompressed tar bytes) into an OCI layout
    (its config says linux/`arch`, default this machine's)."""
    layout = Path(layout)
    blobs = layout / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)

    def put(data: bytes) -> str:
        d = sha256_digest(data)
        (blobs / d.split(":", 1)[1]).write_bytes(data)
        return d

    layer_descs, diff_ids, layer_blobs = [], [], {}
    for tar in layers:
        gz = gzip_bytes(tar, level)
        d = put(gz)
        layer_blobs[d] = gz
        layer_descs.append({"mediaType": OCI_LAYER_GZIP, "digest": d, "size": len(gz)})
        diff_ids.append(sha256_digest(tar))
    if history is None:
        history = [{"created": FIXED_CREATED, "created_by": f"kiln-e2e layer {i}"}
                   for i in range(len(layers))]
    config = {
        "created": FIXED_CREATED,
        "architecture": arch or host_arch(),
        "os": "linux",
        "config": {"Env": [BASE_PATH_ENV]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    if config_extra:
        config["config"].update(config_extra)
    config_bytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
    config_digest = put(config_bytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": config_digest, "size": len(config_bytes)},
        "layers": layer_descs,
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode()
    manifest_digest = put(manifest_bytes)
    (layout / "oci-layout").write_text(json.dumps({"imageLayoutVersion": "1.0.0"}))
    index = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [{
            "mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": len(manifest_bytes),
            "annotations": {"org.opencontainers.image.ref.name": tag},
        }],
    }
    (layout / "index.json").write_text(json.dumps(index))
    return LayoutImage(layout, tag, manifest_digest, config, [l["digest"] for l in layer_descs],
                       diff_ids, layer_blobs, list(layers))


FLAVOURS = {"oci": [], "docker": ["--format", "v2s2"]}


def push_layout(image: LayoutImage, ref: str, flavour="oci"):
    """skopeo copy the layout image to docker://ref (oci or docker media types)."""
    reg = registry_for(ref)
    run(["skopeo", "copy", "--quiet", *FLAVOURS[flavour], *reg.skopeo_args("dest-"),
         image.oci_ref, f"docker://{ref}"])
    return ref


def push_tampered_image(registry: Registry, workdir: Path, repo="victim:latest"):
    """Push a one-layer image, then overwrite its layer in the registry's storage.

    The layer is gzip level 0 (stored blocks): the tampered bytes are a valid
    gzip stream of a valid tar of exactly the same size, so only a digest check
    can tell. Returns (ref, layer_digest, tampered_bytes). Blobs are shared by
    every repository of a registry: use a registry of the test's own."""
    original_tar = deterministic_tar([Entry("victim.txt", "file", 0o644, data=b"A" * 4096)])
    tampered_tar = deterministic_tar([Entry("victim.txt", "file", 0o644, data=b"B" * 4096)])
    image = write_oci_layout(Path(workdir) / "victim", [original_tar], level=0)
    ref = push_layout(image, registry.ref(repo))
    digest = image.layer_digests[0]
    blob = registry.blob_path(digest)
    original = blob.read_bytes()
    assert original == image.layer_blobs[digest], "the registry stores the layer as pushed"
    tampered = gzip_bytes(tampered_tar, level=0)
    assert len(tampered) == len(original) and tampered != original
    blob.write_bytes(tampered)
    status, _, body = registry.get(f"/v2/{repo.split(':')[0]}/blobs/{digest}")
    assert status == 200 and body == tampered, "the registry serves the tampered bytes"
    return ref, digest, tampered


BUSYBOX_APPLETS = [
    "sh", "ash", "ls", "cat", "echo", "mkdir", "touch", "rm", "rmdir", "id", "env", "printf",
    "test", "[", "cp", "mv", "ln", "chmod", "chown", "stat", "grep", "sed", "head", "tail",
    "wc", "pwd", "sleep", "true", "false", "whoami", "find", "sort", "uname", "readlink",
    "which", "tar", "dirname", "basename", "date", "hostname", "mount", "du", "df", "tee",
    "cut", "tr", "xargs", "awk", "sha256sum", "md5sum", "adduser", "addgroup", "su",
]

PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
          "app:x:1000:1000:app:/home/app:/bin/sh\n")
GROUP = "root:x:0:\nnogroup:x:65534:\napp:x:1000:\n"
BASE_MARKER = "kiln e2e busybox base\n"


def busybox_layers(busybox="/bin/busybox"):
    """Two layers: (1) the busybox rootfs skeleton, (2) users and groups."""
    bb = Path(busybox).read_bytes()
    skeleton = [Entry("bin", "dir"), Entry("bin/busybox", "file", 0o755, data=bb),
                Entry("etc", "dir"), Entry("home", "dir"), Entry("root", "dir", 0o700),
                Entry("tmp", "dir", 0o1777), Entry("usr", "dir"), Entry("usr/bin", "dir"),
                Entry("usr/sbin", "dir"), Entry("usr/local", "dir"), Entry("usr/local/bin", "dir"),
                Entry("var", "dir"), Entry("var/tmp", "dir", 0o1777)]
    skeleton += [Entry(f"bin/{a}", "symlink", 0o777, target="busybox") for a in BUSYBOX_APPLETS]
    users = [Entry("etc", "dir"), Entry("etc/passwd", "file", 0o644, data=PASSWD.encode()),
             Entry("etc/group", "file", 0o644, data=GROUP.encode()),
             Entry("etc/kiln-base-release", "file", 0o644, data=BASE_MARKER.encode()),
             Entry("home", "dir"), Entry("home/app", "dir", 0o755, 1000, 1000)]
    return [deterministic_tar(skeleton), deterministic_tar(users)]


BUSYBOX_HISTORY = [
    {"created": FIXED_CREATED, "created_by": "kiln-e2e: busybox-static rootfs"},
    {"created": FIXED_CREATED, "created_by": "kiln-e2e: users root and app (uid 1000)"},
    {"created": FIXED_CREATED, "created_by": 'CMD ["sh"]', "empty_layer": True},
]


class BusyboxImage:
    """The busybox base image (OCI layout on disk) and a cached push helper.

    push(registry, flavour) -> "HOST:PORT/busybox:latest" (flavour "oci") or
    "HOST:PORT/busybox-v2s2:latest" (flavour "docker", skopeo --format v2s2).
    """

    REPOS = {"oci": "busybox", "docker": "busybox-v2s2"}

    def __init__(self, workdir: Path):
        self.image = write_oci_layout(Path(workdir) / "busybox-layout", busybox_layers(),
                                      history=BUSYBOX_HISTORY, config_extra={"Cmd": ["sh"]})
        self._pushed = {}

    @property
    def layout(self):
        return self.image.layout

    def push(self, registry: Registry, flavour="oci", repo=None, tag="latest"):
        repo = repo or self.REPOS[flavour]
        ref = registry.ref(f"{repo}:{tag}")
        # Keyed by the registry's storage, not its address: a fresh registry
        # may be given the port of one that has stopped, and a push skipped
        # for it left a test pulling a base that was never there.
        key = (str(registry.storage), ref, flavour)
        if key not in self._pushed or registry.proc is None:
            push_layout(self.image, ref, flavour)
            self._pushed[key] = ref
        return ref


# ---------------------------------------------------------------------------
# Build contexts and the sandbox
# ---------------------------------------------------------------------------

def make_context(directory: Path, files: dict, owner=1234) -> Path:
    """Create a build context. files: relpath -> str | bytes | (content, mode);
    a relpath ending in "/" is a directory whose value is its mode. Everything,
    the context directory included, is chowned to owner:owner."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    dir_modes = {}
    for rel, spec in files.items():
        p = d / rel
        if rel.endswith("/"):
            p.mkdir(parents=True, exist_ok=True)
            dir_modes[p] = spec
            continue
        mode = 0o644
        if isinstance(spec, tuple):
            spec, mode = spec
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(spec.encode() if isinstance(spec, str) else spec)
        os.chmod(p, mode)
    for p, mode in dir_modes.items():
        os.chmod(p, mode)
    if owner is not None:
        for root, dirs, fnames in os.walk(d):
            for n in dirs + fnames:
                os.lchown(os.path.join(root, n), owner, owner)
        os.chown(d, owner, owner)
    return d


@dataclass
class Result:
    rc: int
    stdout: str
    stderr: str
    elapsed: float
    argv: list

    @property
    def output(self):
        return self.stdout + self.stderr

    def describe(self, limit=6000):
        return (f"argv: {' '.join(self.argv)}\nrc={self.rc} after {self.elapsed:.1f}s\n"
                f"--- stdout (tail) ---\n{self.stdout[-limit:]}\n"
                f"--- stderr (tail) ---\n{self.stderr[-limit:]}")


def sandbox_argv(*, executor=None, warmer=None, context=None, docker_config=None, ca=None,
                 binds=(), env=None, root=None, keep=False, container_env=True, busybox=False,
                 cmd=None, args=(), docker_caps=False):
    argv = ["bash", str(SANDBOX)]
    if docker_caps:
        argv.append("--docker-caps")
    if executor:
        argv += ["--executor", str(executor)]
    if warmer:
        argv += ["--warmer", str(warmer)]
    if context:
        argv += ["--context", str(context)]
    if docker_config:
        argv += ["--docker-config", str(docker_config)]
    cas = [] if ca is None else ([ca] if isinstance(ca, (str, Path)) else list(ca))
    for c in cas:
        argv += ["--ca", str(c)]
    for b in binds:
        if isinstance(b, (tuple, list)):
            b = f"{b[0]}:{b[1]}"
        argv += ["--bind", str(b)]
    for k, v in (env or {}).items():
        argv += ["--env", f"{k}={v}"]
    if root:
        argv += ["--root", str(root)]
    if keep:
        argv.append("--keep")
    if not container_env:
        argv.append("--no-container-env")
    if busybox:
        argv.append("--busybox")
    if cmd is not None:
        argv += ["--cmd", "--", *[str(c) for c in cmd]]
    else:
        argv += ["--", *[str(a) for a in args]]
    return argv


def run_process(argv, timeout=600, stdin_data=None, env=None) -> Result:
    """Run argv in its own session; on timeout TERM then KILL the whole group."""
    start = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                         start_new_session=True, env=env)
    try:
        out, err = p.communicate(input=stdin_data, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
        raise AssertionError(f"timed out after {timeout}s: {' '.join(map(str, argv))}\n"
                             f"--- stdout ---\n{out.decode(errors='replace')[-4000:]}\n"
                             f"--- stderr ---\n{err.decode(errors='replace')[-4000:]}")
    return Result(p.returncode, out.decode(errors="replace"), err.decode(errors="replace"),
                  time.monotonic() - start, [str(a) for a in argv])


def check_rc(res: Result, expect_rc):
    """expect_rc: 0 / an int (exact), "fail" (any non-zero), None (no check)."""
    if expect_rc is None:
        return res
    if expect_rc == "fail":
        assert res.rc != 0, "expected a non-zero exit code\n" + res.describe()
    else:
        assert res.rc == expect_rc, f"expected exit code {expect_rc}\n" + res.describe()
    return res
