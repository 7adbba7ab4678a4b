"""ADD <git URL> (Docker's syntax: http[s]://host/repo.git#ref:subdir,
--keep-git-dir, --checksum=<commit>) against the real smart-HTTP git server
of test_git_context.py (`git http-backend` on loopback): plain HTTP, and TLS
with Basic auth from GIT_USERNAME/GIT_PASSWORD."""
from __future__ import annotations

import os

import pytest

from git_http_server import GitHttpServer
from test_git_context import PASSWORD, USER, Repos

import kiln_e2e as k


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    return Repos(tmp_path_factory.mktemp("add-git"))


@pytest.fixture(scope="module")
def servers(repos, pki):
    s = {"plain": GitHttpServer(repos.root).start(),
         "tls_auth": GitHttpServer(repos.root, tls=(pki.server_cert, pki.server_key), auth=(USER, PASSWORD)).start()}
    yield s
    for srv in s.values():
        srv.stop()


def build(context, run_build, registry, tag, adds, *, env=None, ca=None, expect_rc=0):
    ctx = context({"Dockerfile": "FROM scratch\n" + "".join(f"ADD {a}\n" for a in adds)})
    dest = registry.ref(f"add-git:{tag}")
    res = run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", *registry.insecure_args()],
                    env=env, ca=ca, expect_rc=expect_rc)
    return dest, res


def test_refs_subdir_keep_git_dir_and_checksum(repos, servers, context, run_build, registry_plain, pull_rootfs):
    url = servers["plain"].url("app.git")
    dest, res = build(context, run_build, registry_plain, "refs", [
        f"{url} /default",
        f"{url}#feature /feature/",
        f"{url}#v1.0:dir /tag-subdir",
        f"--keep-git-dir=true {url}#{repos.first} /pinned",
        f"--checksum={repos.main} {url}#main /checked",
    ])
    root = pull_rootfs(dest)
    assert (root / "default/hello.txt").read_text() == "v2\n"
    assert (root / "default/dir/nested.txt").read_text() == "nested\n"
    assert os.stat(root / "default/run.sh").st_mode & 0o777 == 0o755
    st = os.stat(root / "default/hello.txt")
    assert (st.st_uid, st.st_gid) == (0, 0)
    assert not (root / "default/.git").exists(), "no .git without --keep-git-dir"
    assert not (root / "default/feature.txt").exists()
    assert (root / "default/lib/sub/sub.txt").read_text() == "from the submodule\n", "submodules, as BuildKit"
    assert (root / "feature/feature.txt").read_text() == "feature\n"
    assert sorted(os.listdir(root / "tag-subdir")) == ["nested.txt"], "only the subdirectory's contents"
    assert (root / "pinned/hello.txt").read_text() == "v1\n"
    assert (root / "pinned/.git/HEAD").is_file(), "--keep-git-dir keeps the repository"
    assert (root / "checked/hello.txt").read_text() == "v2\n"


def test_tls_with_basic_auth_from_the_environment(servers, context, run_build, registry_plain, pull_rootfs, pki):
    url = servers["tls_auth"].url("app.git", host="localhost")
    dest, res = build(context, run_build, registry_plain, "tls", [f"{url}#main:dir /d"],
                      env={"GIT_USERNAME": USER, "GIT_PASSWORD": PASSWORD}, ca=pki.ca_cert)
    assert (pull_rootfs(dest) / "d/nested.txt").read_text() == "nested\n"
    assert PASSWORD not in res.output


@pytest.mark.parametrize("add,message", [
    ("--checksum=0000000000000000000000000000000000000000 {url} /x",
     "does not match the commit checked out ({main})"),
    ("{url}#no-such-branch /x", "the repository has no branch or tag named 'no-such-branch'"),
    ("{url}#main:missing /x", "no directory missing in the repository"),
    ("{url}#main:../.. /x", "subdirectory '../..' leaves the repository"),
    ("git@github.com:org/repo.git /x", "kiln fetches git repositories over https:// (or http://) only"),
], ids=["checksum", "ref", "subdir", "subdir-escape", "ssh"])
def test_failures_name_the_source(add, message, repos, servers, context, run_build, registry_plain):
    url = servers["plain"].url("app.git")
    _, res = build(context, run_build, registry_plain, "fail", [add.format(url=url)], expect_rc="fail")
    assert message.format(main=repos.main) in res.output, res.describe()
