// Hostile layers. Each case builds a layer by hand, applies it to a root
// that sits deep inside a scratch directory next to sentinel files, with
// <root>/kaniko ignored the way kaniko ignores its own directory. Afterwards
// everything outside the root and everything in <root>/kaniko must be
// byte-for-byte what it was; refused entries must raise an error.
#include <gtest/gtest.h>

#include "base/error.h"
#include "layer/extractor.h"
#include "layer_test_util.h"

namespace kiln::layer {
namespace {

using namespace testing;

bool ignored_kaniko(std::string_view p) { return p == "/kaniko" || p.rfind("/kaniko/", 0) == 0; }

class Hostile : public ::testing::Test {
 protected:
  void SetUp() override {
    root = tmp.path() / "w/x/y/root";
    fs::create_directories(root);
    write_file(tmp.path() / "w/x/y/sentinel", "outside");
    write_file(tmp.path() / "w/x/sentinel", "outside");
    write_file(tmp.path() / "w/etc/shadow", "outside shadow");
    write_file(tmp.path() / "secret", "outside");
    write_file(root / "kaniko/executor", "the real executor", 0755);
    write_file(root / "kaniko/.docker/config.json", "{\"auths\":{}}");
    write_file(root / "etc/passwd", "root:x:0:0");
    before = outside();
    struct stat st {};
    host_shadow_links = ::stat("/etc/shadow", &st) == 0 ? st.st_nlink : 0;
    host_x_existed = fs::exists("/etc/x") || fs::exists("/x");
  }

  void TearDown() override {
    EXPECT_EQ(outside(), before) << "something outside the root or in the ignored dir changed";
    struct stat st {};
    nlink_t links = ::stat("/etc/shadow", &st) == 0 ? st.st_nlink : 0;
    EXPECT_EQ(links, host_shadow_links);
    if (!host_x_existed) {
      EXPECT_FALSE(fs::exists("/etc/x"));
      EXPECT_FALSE(fs::exists("/x"));
    }
  }

  // Fingerprint of the scratch dir without the root, plus <root>/kaniko.
  std::string outside() {
    std::string rel = fs::relative(root, tmp.path()).string();
    std::string out;
    std::istringstream in(fingerprint(tmp.path()));
    for (std::string line; std::getline(in, line);) {
      bool in_root = line.rfind(rel + " ", 0) == 0 || line.rfind(rel + "/", 0) == 0;
      bool in_kaniko = line.rfind(rel + "/kaniko", 0) == 0;
      if (!in_root || in_kaniko) out += line + "\n";
    }
    return out;
  }

  ExtractStats apply(const std::vector<TarEntry>& es) {
    ExtractOptions o;
    o.ignored = ignored_kaniko;
    return extract_bytes(make_tar(es), root, o);
  }

  void expect_refused(const std::vector<TarEntry>& es, const std::string& names) {
    try {
      apply(es);
      ADD_FAILURE() << "layer was not refused";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(names), std::string::npos) << e.what();
    }
  }

  TempDir tmp;
  fs::path root;
  std::string before;
  nlink_t host_shadow_links = 0;
  bool host_x_existed = false;
};

TEST_F(Hostile, DotDotClimbIsRefused) {
  expect_refused({{"../../etc/x", 'f', "pwned"}}, "../../etc/x");
  expect_refused({{"a/../../x", 'f', "pwned"}}, "a/../../x");
  expect_refused({{"./../secret", 'f', "pwned"}}, "../secret");
  expect_refused({{"../", 'd'}}, "../");
}

TEST_F(Hostile, AbsolutePathLandsInRoot) {
  apply({{"/abs/path", 'f', "inside"}, {"/secret", 'f', "inside"}});
  EXPECT_EQ(read_file(root / "abs/path"), "inside");
  EXPECT_EQ(read_file(root / "secret"), "inside");
}

TEST_F(Hostile, SymlinkToSlashThenWriteThroughIt) {
  apply({{"link", 'l', "/"}, {"link/etc/x", 'f', "pwned"}, {"link/secret", 'f', "inside"}});
  EXPECT_EQ(read_file(root / "etc/x"), "pwned");
  EXPECT_EQ(read_file(root / "secret"), "inside");
  EXPECT_EQ(fs::read_symlink(root / "link"), "/");
}

TEST_F(Hostile, RelativeSymlinkClimbStopsAtRoot) {
  apply({{"link", 'l', "../../.."}, {"link/x", 'f', "pwned"}, {"d/deep", 'l', "../../../../../../.."},
         {"d/deep/w/x/sentinel", 'f', "pwned"}});
  EXPECT_EQ(read_file(root / "x"), "pwned");
  EXPECT_EQ(read_file(root / "w/x/sentinel"), "pwned");
}

TEST_F(Hostile, SymlinkIntoIgnoredDirCannotOverwriteExecutor) {
  auto st = apply({{"evil", 'l', "/kaniko"}, {"evil/executor", 'f', "pwned"},
                   {"evil/.docker/config.json", 'f', "pwned"}, {"evil/new", 'f', "pwned"}});
  EXPECT_EQ(st.skipped_ignored, 3);
  EXPECT_EQ(read_file(root / "kaniko/executor"), "the real executor");
}

TEST_F(Hostile, SymlinkChainIntoIgnoredDir) {
  auto st = apply({{"a", 'l', "b"}, {"b", 'l', "../c/../kaniko"}, {"a/executor", 'f', "pwned"},
                   {"r", 'l', "./"}, {"r/kaniko/executor", 'f', "pwned"}, {"x/y", 'l', "../../../kaniko/."},
                   {"x/y/executor", 'f', "pwned"}});
  EXPECT_EQ(st.skipped_ignored, 3);
}

TEST_F(Hostile, DirectIgnoredEntriesAreSkipped) {
  auto st = apply({{"kaniko/executor", 'f', "pwned"}, {"/kaniko/", 'd', "", 0777}, {"kaniko", 'f', "replace dir"},
                   {"kaniko", 'l', "/tmp"}, {"./kaniko/new/dir/", 'd'}});
  EXPECT_EQ(st.skipped_ignored, 5);
}

TEST_F(Hostile, ReplacingAncestorOfIgnoredDirIsRefusedSoftly) {
  // An ignored path below a directory keeps that directory from being
  // replaced; /kaniko itself must survive.
  auto st = apply({{".wh.kaniko", 'f'}, {"kaniko/.wh.executor", 'f'}, {"evil", 'l', "/kaniko"},
                   {"evil/.wh.executor", 'f'}, {".wh..wh..opq", 'f'}});
  EXPECT_GE(st.skipped_ignored, 3);
  EXPECT_FALSE(fs::exists(root / "etc/passwd"));  // the opaque root marker did hide lower content
}

TEST_F(Hostile, DeferredDirectoryModesCannotBeRedirected) {
  // Directory modes and times are applied after the layer; by then "p" is a
  // symlink to the root, so "p/kaniko" would mean the ignored /kaniko.
  apply({{"p/kaniko/", 'd', "", 0777, 0, 0, 42}, {"p", 'l', "/"}});
  EXPECT_TRUE(fs::is_symlink(root / "p"));
}

TEST_F(Hostile, WhiteoutTricksAreRefused) {
  expect_refused({{".wh..", 'f'}}, ".wh..");
  expect_refused({{"etc/.wh..", 'f'}}, "etc/.wh..");
  expect_refused({{"etc/.wh...", 'f'}}, "etc/.wh...");
  expect_refused({{".wh.", 'f'}}, ".wh.");
  expect_refused({{"../.wh.secret", 'f'}}, "../.wh.secret");
  EXPECT_TRUE(fs::exists(root / "etc/passwd"));
}

TEST_F(Hostile, WhiteoutThroughSymlinkStaysInRoot) {
  apply({{"up", 'l', "../../.."}, {"up/.wh.secret", 'f'}, {"up/w/x/.wh.sentinel", 'f'}});
  // Resolved inside the root: nothing there to delete, nothing outside touched.
  EXPECT_TRUE(fs::exists(root / "etc/passwd"));
}

TEST_F(Hostile, WhiteoutOfSymlinkDoesNotFollowIt) {
  fs::create_symlink("/etc", root / "etclink");
  apply({{".wh.etclink", 'f'}});
  EXPECT_TRUE(fs::exists(root / "etc/passwd"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(root / "etclink")));
}

TEST_F(Hostile, HardlinksOutOfRootAreRefused) {
  expect_refused({{"h", 'h', "/etc/shadow"}}, "/etc/shadow");
  expect_refused({{"h", 'h', "../../x"}}, "../../x");
  expect_refused({{"h", 'h', "../../../sentinel"}}, "sentinel");
  expect_refused({{"h", 'h', "/kaniko/executor"}}, "/kaniko/executor");
  expect_refused({{"link", 'l', "/kaniko"}, {"h", 'h', "link/executor"}}, "/kaniko/executor");
  expect_refused({{"up", 'l', "../../../.."}, {"h", 'h', "up/secret"}}, "up/secret");
}

TEST_F(Hostile, HardlinkThenWriteDoesNotReachTarget) {
  // A hardlink to a file in root, then a regular entry at the link's path:
  // the entry replaces the link instead of writing through it.
  apply({{"mine", 'h', "etc/passwd"}, {"mine", 'f', "new"}});
  EXPECT_EQ(read_file(root / "etc/passwd"), "root:x:0:0");
  EXPECT_EQ(read_file(root / "mine"), "new");
}

TEST_F(Hostile, FileOverSymlinkReplacesTheSymlink) {
  apply({{"target", 'l', "/kaniko/executor"}, {"target", 'f', "pwned"},
         {"up", 'l', "../../../sentinel"}, {"up", 'f', "pwned"}});
  EXPECT_EQ(read_file(root / "target"), "pwned");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(root / "up")));
}

TEST_F(Hostile, SymlinkLoopAndLongChainsFail) {
  expect_refused({{"l", 'l', "l"}, {"l/x", 'f', "x"}}, "l/x");
  std::vector<TarEntry> chain;
  for (int i = 0; i < 50; ++i) chain.push_back({"c" + std::to_string(i), 'l', "c" + std::to_string(i + 1)});
  chain.push_back({"c50/", 'd'});
  chain.push_back({"c0/x", 'f', "x"});
  expect_refused(chain, "c0/x");
}

}  // namespace
}  // namespace kiln::layer
