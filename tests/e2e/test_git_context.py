"""git:// build contexts (kaniko's syntax) against a real smart-HTTP git server
(`git http-backend`, tests/e2e/git_http_server.py) on loopback: plain HTTP
with GIT_PULL_METHOD=http, TLS with the test CA, Basic auth; branches, a tag,
refs/pull/N/head, a pinned commit, submodules; and the failures."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import kiln_e2e as k
from git_http_server import GitHttpServer, git

USER, PASSWORD, TOKEN = "gituser", "pa55-Wd-7f3c9e", "tok-91b2c4d7e5"
DOCKERFILE = "FROM scratch\nCOPY . /app/\n"
# The checkout keeps its .git (as kaniko's does); the images compare files only.
DOCKERIGNORE = ".git\n**/.git\n"


def write(root: Path, files: dict[str, str]):
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        p.chmod(0o755 if name.endswith(".sh") else 0o644)


class Repos:
    """Bare repositories app.git and sub.git in `root` (the server's project
    root), made with the git CLI from work trees next to them."""

    def __init__(self, base: Path):
        self.root = base
        sub = base / "sub-work"
        sub.mkdir()
        git(sub, "init", "-q")
        write(sub, {"sub.txt": "from the submodule\n"})
        git(sub, "add", "-A")
        git(sub, "commit", "-q", "-m", "sub")
        git(base, "clone", "-q", "--bare", str(sub), str(base / "sub.git"))

        self.work = work = base / "app-work"
        work.mkdir()
        git(work, "init", "-q")
        write(work, {"Dockerfile": DOCKERFILE, ".dockerignore": DOCKERIGNORE, "hello.txt": "v1\n",
                     "dir/nested.txt": "nested\n", "run.sh": "#!/bin/sh\necho hi\n"})
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "one")
        self.first = git(work, "rev-parse", "HEAD")  # in main's history, not a tip
        git(work, "tag", "-a", "v1.0", "-m", "release 1.0")
        # A relative submodule URL: git resolves it here against the work
        # tree's directory (base/sub.git), kiln against the fetched URL.
        git(work, "submodule", "add", "-q", "../sub.git", "lib/sub")
        write(work, {"hello.txt": "v2\n"})
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "two")
        self.main = git(work, "rev-parse", "HEAD")
        git(work, "checkout", "-q", "-b", "feature")
        write(work, {"feature.txt": "feature\n"})
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "feature")
        self.feature = git(work, "rev-parse", "HEAD")
        git(work, "checkout", "-q", "-b", "pr", "main")
        write(work, {"pr.txt": "pull request\n"})
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", "pr")
        self.pr = git(work, "rev-parse", "HEAD")
        # A submodule pointing into the executor's own filesystem: refused.
        git(work, "checkout", "-q", "-b", "local-sub", "main")
        with open(work / ".gitmodules", "a") as f:
            f.write('[submodule "evil"]\n\tpath = evil\n\turl = /kaniko\n')
        git(work, "update-index", "--add", "--cacheinfo", "160000," + git(sub, "rev-parse", "HEAD") + ",evil")
        git(work, "add", ".gitmodules")
        git(work, "commit", "-q", "-m", "local submodule")
        git(work, "checkout", "-q", "main")
        bare = base / "app.git"
        git(base, "clone", "-q", "--bare", str(work), str(bare))
        # A pull-request ref as hosting services publish it; no branch holds it.
        git(bare, "update-ref", "refs/pull/1/head", self.pr)
        git(bare, "branch", "-D", "pr")
        git(bare, "symbolic-ref", "HEAD", "refs/heads/main")


@pytest.fixture(scope="module")
def repos(tmp_path_factory):
    return Repos(tmp_path_factory.mktemp("git"))


@pytest.fixture(scope="module")
def servers(repos, pki):
    """plain: HTTP, no auth; plain_auth: HTTP + Basic; token: HTTP + Basic for the
    GIT_TOKEN placeholder user; tls_auth: HTTPS + Basic."""
    tls = (pki.server_cert, pki.server_key)
    s = {"plain": GitHttpServer(repos.root).start(),
         "plain_auth": GitHttpServer(repos.root, auth=(USER, PASSWORD)).start(),
         "token": GitHttpServer(repos.root, auth=("oauth2", TOKEN)).start(),
         "tls_auth": GitHttpServer(repos.root, tls=tls, auth=(USER, PASSWORD)).start()}
    yield s
    for srv in s.values():
        srv.stop()


def git_ctx(srv, repo="app.git", suffix="", host="127.0.0.1"):
    return f"--context=git://{srv.authority(host)}/{repo}{suffix}"


HTTP = {"GIT_PULL_METHOD": "http"}


def build(run_build, tmp_path, registry, tag, ctx_flag, *, env=None, extra=(), ca=None, expect_rc=0):
    """Runs the executor with a git context (the bound /workspace is empty)."""
    empty = tmp_path / f"empty-{tag}"
    empty.mkdir(exist_ok=True)
    dest = registry.ref(f"git-ctx:{tag}")
    res = run_build(empty, [ctx_flag, f"--destination={dest}", *registry.insecure_args(), *extra],
                    env=env, ca=ca, expect_rc=expect_rc)
    return dest, res


def files_of(rootfs: Path):
    app = rootfs / "app"
    return sorted(str(p.relative_to(app)) for p in app.rglob("*") if p.is_file())


# --- refs over plain HTTP ----------------------------------------------------

@pytest.mark.parametrize("suffix,extra,hello,present,absent", [
    ("", [], "v2\n", [], ["feature.txt", "pr.txt"]),
    ("#feature", [], "v2\n", ["feature.txt"], ["pr.txt"]),
    ("#v1.0", [], "v1\n", [], ["feature.txt", ".gitmodules"]),
    ("#refs/pull/1/head", [], "v2\n", ["pr.txt"], ["feature.txt"]),
    ("#main#{first}", [], "v1\n", [], [".gitmodules"]),
    # Every branch is fetched unless single-branch=true, as `git clone` does.
    ("#main#{feature:.12}", [], "v2\n", ["feature.txt"], []),  # abbreviated
    ("", ["--git=branch=feature,single-branch=true"], "v2\n", ["feature.txt"], []),
], ids=["default-branch", "branch", "tag", "pull-ref", "pinned-commit", "commit-on-another-branch",
        "git-branch-flag"])
def test_refs_over_plain_http(suffix, extra, hello, present, absent, repos, servers, registry_plain,
                              run_build, pull_rootfs, tmp_path):
    suffix = suffix.format(first=repos.first, feature=repos.feature)
    dest, res = build(run_build, tmp_path, registry_plain, "ref", git_ctx(servers["plain"], suffix=suffix),
                      env=HTTP, extra=extra)
    root = pull_rootfs(dest)
    assert (root / "app/hello.txt").read_text() == hello
    assert (root / "app/dir/nested.txt").read_text() == "nested\n"
    assert os.stat(root / "app/run.sh").st_mode & 0o777 == 0o755
    for f in present:
        assert (root / "app" / f).is_file(), (f, files_of(root))
    for f in absent:
        assert not (root / "app" / f).exists(), (f, files_of(root))
    assert not (root / "app/.git").exists()  # .dockerignore applied to the checkout
    # Without recurse-submodules the submodule's directory stays empty.
    assert not (root / "app/lib/sub/sub.txt").exists()


def test_submodules_and_same_digest_as_dir_context(repos, servers, registry_plain, run_build, tmp_path):
    """--reproducible: the git checkout (with its submodule) and the same files
    as a dir:// context give the same image digest."""
    dest_git, res = build(run_build, tmp_path, registry_plain, "repro-git",
                          git_ctx(servers["plain"]), env=HTTP,
                          extra=["--reproducible", "--git=recurse-submodules=true"])
    assert "lib/sub" in res.output, res.describe()
    # The same files: app's work tree (main checked out, submodule included).
    same = tmp_path / "same"
    shutil.copytree(repos.work, same, ignore=shutil.ignore_patterns(".git"))
    assert (same / "lib/sub/sub.txt").is_file() and not (same / "feature.txt").exists()
    dest_dir = registry_plain.ref("git-ctx:repro-dir")
    run_build(same, ["--context=dir:///workspace", f"--destination={dest_dir}", "--reproducible",
                     *registry_plain.insecure_args()])
    rootfs = k.pull_rootfs(dest_git, tmp_path / "pulled-git")
    assert (rootfs / "app/lib/sub/sub.txt").read_text() == "from the submodule\n"
    assert k.image_digest(dest_git) == k.image_digest(dest_dir)


# --- TLS and credentials ---------------------------------------------------

@pytest.mark.parametrize("host,env", [
    ("localhost", {"GIT_USERNAME": USER, "GIT_PASSWORD": PASSWORD}),
    # mbedTLS alone does not match IP subjectAltNames: kiln's check must.
    ("127.0.0.1", {"GIT_USERNAME": USER, "GIT_TOKEN": PASSWORD}),
], ids=["dns-name+password", "ip-san+token"])
def test_tls_with_basic_auth(host, env, servers, registry_plain, run_build, pull_rootfs, pki, tmp_path):
    dest, res = build(run_build, tmp_path, registry_plain, "tls", git_ctx(servers["tls_auth"], host=host),
                      env=env, ca=pki.ca_cert)
    assert (pull_rootfs(dest) / "app/hello.txt").read_text() == "v2\n"
    assert PASSWORD not in res.output


def test_token_alone_is_sent_with_the_placeholder_user(servers, registry_plain, run_build, pull_rootfs,
                                                       tmp_path):
    dest, res = build(run_build, tmp_path, registry_plain, "token", git_ctx(servers["token"]),
                      env={**HTTP, "GIT_TOKEN": TOKEN})
    assert (pull_rootfs(dest) / "app/hello.txt").read_text() == "v2\n"
    assert TOKEN not in res.output


def test_tls_without_ca_fails_unless_insecure_skip_tls(servers, registry_plain, run_build, pull_rootfs,
                                                       tmp_path):
    srv = servers["tls_auth"]
    env = {"GIT_USERNAME": USER, "GIT_PASSWORD": PASSWORD}
    _, res = build(run_build, tmp_path, registry_plain, "noca", git_ctx(srv, host="localhost"), env=env,
                   expect_rc="fail")
    assert "certificate" in res.output and srv.url("app.git", "localhost") in res.output, res.describe()
    dest, _ = build(run_build, tmp_path, registry_plain, "skiptls", git_ctx(srv, host="localhost"), env=env,
                    extra=["--git=insecure-skip-tls=true"])
    assert (pull_rootfs(dest) / "app/hello.txt").read_text() == "v2\n"


# --- failures ----------------------------------------------------------------

def expect_failure(run_build, tmp_path, registry, srv, suffix="", repo="app.git", env=None, **kw):
    _, res = build(run_build, tmp_path, registry, "fail", git_ctx(srv, repo=repo, suffix=suffix),
                   env={**HTTP, **(env or {})}, expect_rc="fail", **kw)
    assert not k.image_exists(registry.ref("git-ctx:fail"))
    assert srv.url(repo) in res.output, res.describe()  # names the repository
    return res.output


def test_unknown_ref(servers, registry_plain, run_build, tmp_path):
    out = expect_failure(run_build, tmp_path, registry_plain, servers["plain"], suffix="#no-such-branch")
    assert "no-such-branch" in out


def test_commit_not_in_history(servers, registry_plain, run_build, tmp_path):
    out = expect_failure(run_build, tmp_path, registry_plain, servers["plain"], suffix="#main#" + "0" * 40)
    assert "0" * 40 in out


def test_single_branch_fetches_only_that_ref(repos, servers, registry_plain, run_build, tmp_path):
    out = expect_failure(run_build, tmp_path, registry_plain, servers["plain"], suffix="#main#" + repos.feature,
                         extra=["--git=single-branch=true"])
    assert repos.feature in out and "single-branch=true" in out


def test_unknown_repository(servers, registry_plain, run_build, tmp_path):
    out = expect_failure(run_build, tmp_path, registry_plain, servers["plain"], repo="missing.git")
    assert "404" in out


def test_wrong_password_is_not_printed(servers, registry_plain, run_build, tmp_path):
    wrong = "wr0ng-Secret-55aa"
    out = expect_failure(run_build, tmp_path, registry_plain, servers["plain_auth"],
                         env={"GIT_USERNAME": USER, "GIT_PASSWORD": wrong})
    assert "authentication failed" in out and wrong not in out


def test_wrong_token_in_url_is_not_printed(servers, registry_plain, run_build, tmp_path):
    srv = servers["plain_auth"]
    wrong = "url-Secret-77cc"
    _, res = build(run_build, tmp_path, registry_plain, "fail",
                   f"--context=git://{USER}:{wrong}@{srv.authority()}/app.git", env=HTTP, expect_rc="fail")
    assert srv.url("app.git") in res.output and wrong not in res.output, res.describe()


def test_submodule_outside_http_is_refused(servers, registry_plain, run_build, tmp_path):
    out = expect_failure(run_build, tmp_path, registry_plain, servers["plain"], suffix="#local-sub",
                         extra=["--git=recurse-submodules=true"])
    assert "submodule 'evil'" in out and "/kaniko" in out and "http(s) only" in out


def test_missing_credentials(servers, registry_plain, run_build, tmp_path):
    out = expect_failure(run_build, tmp_path, registry_plain, servers["plain_auth"])
    assert "GIT_USERNAME" in out
