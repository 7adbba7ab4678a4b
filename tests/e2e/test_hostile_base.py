"""Hostile base images, end to end: layers written by hand (no honest tool
makes them) are pushed to the test registry and built FROM in the sandbox.
Every case is either refused with an error naming the entry or contained in
the image root; /kaniko is hashed before and after and must be byte-for-byte
the same, and nothing appears next to the sandbox root on the host.
"""
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

import kiln_e2e as k


def raw_tar(members):
    """members: (name, type, data_or_target). Names are written verbatim."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, typ, data in members:
            ti = tarfile.TarInfo(name)
            ti.mtime, ti.mode = k.FIXED_MTIME, 0o644
            ti.type = typ
            if typ == tarfile.REGTYPE:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
            else:
                if typ in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                    ti.linkname = data
                if typ == tarfile.DIRTYPE:
                    ti.mode = 0o755
                tf.addfile(ti)
    return buf.getvalue()


F, D, L, H = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE

# Contained: the build goes on, everything lands inside the root.
CONTAINED = [
    ("evil", L, "/kaniko"),
    ("evil/executor", F, b"pwned executor"),
    ("evil/.docker/config.json", F, b'{"auths":{"pwned":{}}}'),
    ("evil/ssl/certs/ca-certificates.crt", F, b"pwned CA"),
    (".wh.kaniko", F, b""),
    ("kaniko/executor", F, b"pwned directly"),
    ("/abs/landed", F, b"absolute"),
    ("up", L, "../../../../../../.."),
    ("up/escaped", F, b"climbed"),
    ("etc/", D, ""),
    ("etc/name\nwith-newline", F, b"nl"),
    ("proc", L, "/"),
    (".wh.proc", F, b""),
]

# Refused: the build stops at the entry and says which.
REFUSED = {
    "dotdot": ([("../../../../kiln-hostile-escape", F, b"escaped")], "kiln-hostile-escape"),
    "hardlink-into-kaniko": ([("h", H, "/kaniko/executor")], "/kaniko/executor"),
    "hardlink-outside": ([("h", H, "../../../../etc/shadow")], "etc/shadow"),
}


def tree_hash(d: Path):
    h = hashlib.sha256()
    for p in sorted(d.rglob("*")):
        rel = str(p.relative_to(d))
        if rel == "work" or rel.startswith("work/"):
            continue  # the executor's own scratch space
        st = p.lstat()
        h.update(f"{rel} {st.st_mode:o} {st.st_uid} {st.st_gid}\n".encode())
        if p.is_symlink():
            h.update(str(p.readlink()).encode())
        elif p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def push_hostile(registry, workdir, name, layer):
    layers = [*k.busybox_layers(), layer]
    image = k.write_oci_layout(Path(workdir) / name, layers)
    return k.push_layout(image, registry.ref(f"hostile-{name}:latest"))


def prepared_root(executor, tmp_path):
    """A sandbox root with /kaniko populated, and its hash."""
    root = tmp_path / "sandbox" / "root"
    k.run_process(k.sandbox_argv(executor=executor, root=root, cmd=["/kaniko/executor", "version"]),
                  timeout=60)
    return root, tree_hash(root / "kaniko"), sorted(p.name for p in root.parent.iterdir())


def build(executor, root, ctx, registry, base, dest):
    return k.run_process(k.sandbox_argv(
        executor=executor, context=ctx, root=root,
        args=["--dockerfile=/workspace/Dockerfile", "--context=dir:///workspace", f"--destination={dest}",
              *registry.insecure_args()]), timeout=120)


def test_contained_layer(executor, fresh_registry, context, tmp_path):
    base = push_hostile(fresh_registry, tmp_path, "contained", raw_tar(CONTAINED))
    root, before, siblings = prepared_root(executor, tmp_path)
    ctx = context({"Dockerfile": f"FROM {base}\n"
                                 "RUN cat /escaped /abs/landed /kaniko/executor > /seen 2>&1; true\n"})
    dest = fresh_registry.ref("contained-out:v1")
    res = build(executor, root, ctx, fresh_registry, base, dest)
    assert res.rc == 0, res.describe()
    assert tree_hash(root / "kaniko") == before, "/kaniko changed"
    assert sorted(p.name for p in root.parent.iterdir()) == siblings, "something appeared next to the root"
    # Inside the root: the climbing symlink was re-rooted, the absolute name too.
    assert (root / "escaped").read_bytes() == b"climbed"
    assert (root / "abs/landed").read_bytes() == b"absolute"
    seen = (root / "seen").read_bytes()
    assert b"pwned" not in seen, seen[:300]
    assert not Path("/kiln-hostile-escape").exists()
    assert k.image_exists(dest)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_layer(case, executor, fresh_registry, context, tmp_path):
    members, names = REFUSED[case]
    base = push_hostile(fresh_registry, tmp_path, case, raw_tar(members))
    root, before, siblings = prepared_root(executor, tmp_path)
    ctx = context({"Dockerfile": f"FROM {base}\nRUN true\n"})
    dest = fresh_registry.ref(f"refused-{case}:v1")
    res = build(executor, root, ctx, fresh_registry, base, dest)
    assert res.rc != 0, res.describe()
    assert names in res.output, res.describe()
    assert tree_hash(root / "kaniko") == before, "/kaniko changed"
    assert sorted(p.name for p in root.parent.iterdir()) == siblings, "something appeared next to the root"
    for d in [root.parent, *root.parents[1:4]]:
        assert not (d / "kiln-hostile-escape").exists(), d
    assert not k.image_exists(dest)
