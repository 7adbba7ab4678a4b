"""Shallow git fetches: `--git depth=N` for git:// contexts and ADD <git URL>
(depth 1 for a named ref, as BuildKit), against `git http-backend`
(git_http_server.py) serving a repository with a 40-commit history. What
came down is read back with the git CLI from the checkout's .git, copied
into the image: the number of commits, .git/shallow. Also: the image built
from a shallow fetch equals the full fetch's, a bad depth is refused before
anything is fetched, and a pinned commit beyond the depth is an error naming
it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import kiln_e2e as k
from git_http_server import GitHttpServer, git, make_history

COMMITS = 40
# Dockerfile: the files only (its own ignore file drops .git), so full and
# shallow fetches must give the same image. git.Dockerfile: the .git too.
FILES = {"Dockerfile": "FROM scratch\nCOPY . /app/\n", "Dockerfile.dockerignore": ".git\n",
         "git.Dockerfile": "FROM scratch\nCOPY .git /git/\nCOPY counter.txt /\n"}
HTTP = {"GIT_PULL_METHOD": "http"}


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("shallow")
    ids = make_history(root / "long.git", COMMITS, FILES)
    srv = GitHttpServer(root).start()
    yield srv, ids
    srv.stop()


def build(run_build, tmp_path, registry, tag, srv, *, suffix="", dockerfile="Dockerfile", extra=(), expect_rc=0):
    empty = tmp_path / f"empty-{tag}"
    empty.mkdir(exist_ok=True)
    dest = registry.ref(f"shallow:{tag}")
    res = run_build(empty, [f"--context=git://{srv.authority()}/long.git{suffix}", f"--dockerfile={dockerfile}",
                            f"--destination={dest}", *registry.insecure_args(), *extra],
                    env=HTTP, expect_rc=expect_rc)
    return dest, res


def fetched(res):
    """(objects, bytes) from the executor's 'Checked out …' line."""
    m = re.search(r"\((\d+) objects, (\d+) bytes fetched", res.output)
    assert m, res.describe()
    return int(m.group(1)), int(m.group(2))


def commits_in(gitdir: Path):
    return int(git(gitdir, "--git-dir", str(gitdir), "rev-list", "--count", "HEAD"))


@pytest.mark.parametrize("depth", [1, 3])
def test_depth_fetches_only_the_last_commits(depth, history, registry_plain, run_build, pull_rootfs, tmp_path):
    srv, ids = history
    dest_full, res_full = build(run_build, tmp_path, registry_plain, "full", srv, dockerfile="git.Dockerfile")
    dest, res = build(run_build, tmp_path, registry_plain, f"depth{depth}", srv, dockerfile="git.Dockerfile",
                      extra=[f"--git=depth={depth}"])
    full, shallow = pull_rootfs(dest_full), pull_rootfs(dest)
    assert commits_in(full / "git") == COMMITS and not (full / "git/shallow").exists()
    assert commits_in(shallow / "git") == depth
    # git's record of the cut: the oldest commit fetched, whose parent is missing.
    assert (shallow / "git/shallow").read_text().split() == [ids[-depth]]
    assert (shallow / "counter.txt").read_text() == f"{COMMITS}\n"
    assert f"shallow: depth {depth}" in res.output, res.describe()
    (objs_full, bytes_full), (objs, nbytes) = fetched(res_full), fetched(res)
    assert objs < objs_full / 4 and nbytes < bytes_full / 2, (objs, objs_full, nbytes, bytes_full)


def test_shallow_build_equals_the_full_one(history, registry_plain, run_build, tmp_path):
    srv, _ = history
    dest_full, _ = build(run_build, tmp_path, registry_plain, "repro-full", srv, extra=["--reproducible"])
    dest, _ = build(run_build, tmp_path, registry_plain, "repro-shallow", srv,
                    extra=["--reproducible", "--git=depth=1,single-branch=true"])
    assert k.image_digest(dest) == k.image_digest(dest_full)


def test_pinned_commit_within_and_beyond_the_depth(history, registry_plain, run_build, pull_rootfs, tmp_path):
    srv, ids = history
    dest, _ = build(run_build, tmp_path, registry_plain, "pinned", srv, suffix=f"#main#{ids[-2]}",
                    dockerfile="git.Dockerfile", extra=["--git=depth=3"])
    assert (pull_rootfs(dest) / "counter.txt").read_text() == f"{COMMITS - 1}\n"
    _, res = build(run_build, tmp_path, registry_plain, "beyond", srv, suffix=f"#main#{ids[-5]}",
                   extra=["--git=depth=3"], expect_rc="fail")
    assert ids[-5] in res.output and "depth=3" in res.output, res.describe()


@pytest.mark.parametrize("value", ["-1", "two", "1.5", ""])
def test_bad_depth_is_refused_before_anything_is_fetched(value, history, registry_plain, run_build, tmp_path):
    srv, _ = history
    before = len(srv.requests)
    _, res = build(run_build, tmp_path, registry_plain, "bad", srv, extra=[f"--git=depth={value}"],
                   expect_rc=1)
    assert f"--git depth={value}:" in res.output and "whole number" in res.output, res.describe()
    assert len(srv.requests) == before, srv.requests[before:]


def test_add_git_url_fetches_the_ref_shallow(history, context, registry_plain, run_build, pull_rootfs):
    """As BuildKit: a named ref comes down with its last commit only; a pinned
    commit with the history it needs."""
    srv, ids = history
    url = srv.url("long.git")
    ctx = context({"Dockerfile": f"FROM scratch\nADD --keep-git-dir=true {url}#main /ref\n"
                                f"ADD --keep-git-dir=true {url}#{ids[5]} /pinned\n"})
    dest = registry_plain.ref("shallow:add")
    run_build(ctx, ["--context=dir:///workspace", f"--destination={dest}", *registry_plain.insecure_args()])
    root = pull_rootfs(dest)
    assert commits_in(root / "ref/.git") == 1
    assert (root / "ref/.git/shallow").read_text().split() == [ids[-1]]
    assert (root / "ref/counter.txt").read_text() == f"{COMMITS}\n"
    assert not (root / "pinned/.git/shallow").exists()
    assert (root / "pinned/counter.txt").read_text() == "6\n"
