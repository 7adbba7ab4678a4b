#include "layer/extractor.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "base/error.h"
#include "layer_test_util.h"

namespace kiln::layer {
namespace {

using namespace testing;

class ExtractTest : public ::testing::Test {
 protected:
  void SetUp() override { fs::create_directory(root = tmp.path() / "root"); }
  ExtractStats apply(const std::vector<TarEntry>& es, Wrap w = Wrap::None) {
    return extract_bytes(make_tar(es, w), root);
  }
  mode_t mode_of(const std::string& rel) {
    struct stat st {};
    EXPECT_EQ(::lstat((root / rel).c_str(), &st), 0) << rel;
    return st.st_mode;
  }
  TempDir tmp;
  fs::path root;
};

TEST_F(ExtractTest, PlainGzipAndZstdAllWork) {
  for (auto w : {Wrap::None, Wrap::Gzip, Wrap::Zstd}) {
    fs::remove_all(root);
    fs::create_directory(root);
    auto st = apply({{"./a/", 'd', "", 0755}, {"./a/f", 'f', "content"}, {"/b", 'f', "bee"}, {"c", 'f', ""}}, w);
    EXPECT_EQ(st.entries, 4);
    EXPECT_EQ(st.bytes, 10);
    EXPECT_EQ(read_file(root / "a/f"), "content");
    EXPECT_EQ(read_file(root / "b"), "bee");
    EXPECT_TRUE(fs::is_regular_file(root / "c"));
  }
}

TEST_F(ExtractTest, GarbageIsAnError) {
  std::string junk(2048, 'j');
  EXPECT_THROW(extract_bytes(junk, root), Error);
}

TEST_F(ExtractTest, ReaderErrorPropagates) {
  EXPECT_THROW(extract([](char*, std::size_t) -> std::size_t { throw IoError("download of sha256:dead failed"); },
                       root, {}),
               IoError);
}

TEST_F(ExtractTest, MissingParentsAreCreated) {
  apply({{"x/y/z/f", 'f', "deep"}});
  EXPECT_EQ(read_file(root / "x/y/z/f"), "deep");
  EXPECT_EQ(mode_of("x/y") & 07777, 0755u);
}

TEST_F(ExtractTest, ModesOwnersAndTimes) {
  apply({{"d/", 'd', "", 01777, 5, 6, 1111111111},
         {"d/suid", 'f', "x", 04755, 1000, 1000, 1222222222},
         {"d/sgid", 'f', "x", 02750, 0, 50},
         {"ro/", 'd', "", 0555},
         {"ro/f", 'f', "in a read-only dir", 0444},
         {"l", 'l', "d/suid", 0777, 7, 8}});
  EXPECT_EQ(mode_of("d") & 07777, 01777u);
  EXPECT_EQ(mode_of("d/suid") & 07777, 04755u);
  EXPECT_EQ(mode_of("d/sgid") & 07777, 02750u);
  EXPECT_EQ(mode_of("ro") & 07777, 0555u);
  EXPECT_EQ(read_file(root / "ro/f"), "in a read-only dir");
  struct stat st {};
  ::lstat((root / "d/suid").c_str(), &st);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1222222222);
  ::lstat((root / "d").c_str(), &st);
  EXPECT_EQ(st.st_uid, 5u);
  EXPECT_EQ(st.st_gid, 6u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1111111111);  // set after its children were made
  ::lstat((root / "l").c_str(), &st);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  EXPECT_EQ(st.st_uid, 7u);
}

TEST_F(ExtractTest, NoChownKeepsCallerAsOwner) {
  ExtractOptions o;
  o.chown = false;
  extract_bytes(make_tar({{"f", 'f', "x", 0644, 1234, 1234}}), root, o);
  struct stat st {};
  ::lstat((root / "f").c_str(), &st);
  EXPECT_EQ(st.st_uid, ::geteuid());
}

TEST_F(ExtractTest, Whiteouts) {
  write_file(root / "etc/keep", "k");
  write_file(root / "etc/gone", "g");
  write_file(root / "tree/a/b/c", "c");
  fs::create_symlink("/etc", root / "tree/link");
  fs::create_symlink("/", root / "rootlink");
  apply({{"etc/.wh.gone", 'f'}, {".wh.tree", 'f'}, {".wh.rootlink", 'f'}, {"nothere/.wh.x", 'f'}});
  EXPECT_TRUE(fs::exists(root / "etc/keep"));
  EXPECT_FALSE(fs::exists(root / "etc/gone"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(root / "tree")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(root / "rootlink")));
  EXPECT_TRUE(fs::exists(root / "etc/keep"));  // the symlinks' targets survived
  EXPECT_FALSE(fs::exists(root / ".wh.tree"));
  EXPECT_FALSE(fs::exists(root / "nothere"));
}

TEST_F(ExtractTest, OpaqueHidesOnlyLowerLayers) {
  write_file(root / "d/lower1", "1");
  write_file(root / "d/sub/lower2", "2");
  write_file(root / "other", "o");
  write_file(root / "d/kept/lower3", "3");
  apply({{"d/", 'd', "", 0755}, {"d/new", 'f', "n"}, {"d/newdir/x", 'f', "x"}, {"d/kept/mine", 'f', "m"},
         {"d/.wh..wh..opq", 'f'}, {"d/after", 'f', "a"}});
  // d/kept exists in this layer, but what lower layers had in it is hidden.
  EXPECT_EQ(read_file(root / "d/kept/mine"), "m");
  EXPECT_FALSE(fs::exists(root / "d/kept/lower3"));
  EXPECT_FALSE(fs::exists(root / "d/lower1"));
  EXPECT_FALSE(fs::exists(root / "d/sub"));
  EXPECT_EQ(read_file(root / "d/new"), "n");
  EXPECT_EQ(read_file(root / "d/newdir/x"), "x");
  EXPECT_EQ(read_file(root / "d/after"), "a");
  EXPECT_TRUE(fs::exists(root / "other"));
  EXPECT_FALSE(fs::exists(root / "d/.wh..wh..opq"));
}

TEST_F(ExtractTest, FileAndDirectoryReplaceEachOther) {
  write_file(root / "was_file", "f");
  write_file(root / "was_dir/deep/x", "x");
  fs::create_symlink("/elsewhere", root / "was_link");
  write_file(root / "dir_stays/old", "o");
  apply({{"was_file/", 'd', "", 0700},
         {"was_file/inner", 'f', "i"},
         {"was_dir", 'f', "now a file"},
         {"was_link", 'f', "plain"},
         {"dir_stays/", 'd', "", 0711},
         {"dir_stays/new", 'f', "n"}});
  EXPECT_EQ(mode_of("was_file") & 07777, 0700u);
  EXPECT_EQ(read_file(root / "was_file/inner"), "i");
  EXPECT_EQ(read_file(root / "was_dir"), "now a file");
  EXPECT_TRUE(S_ISREG(mode_of("was_link")));
  EXPECT_EQ(read_file(root / "dir_stays/old"), "o");  // dir over dir merges
  EXPECT_EQ(mode_of("dir_stays") & 07777, 0711u);
}

TEST_F(ExtractTest, Hardlinks) {
  write_file(root / "lower", "from below");
  apply({{"a", 'f', "data"},
         {"dir/b", 'h', "a"},
         {"/c", 'h', "/a"},
         {"d", 'h', "./lower"},
         {"sl", 'l', "a"},
         {"slh", 'h', "sl"}});
  struct stat a {}, b {}, c {};
  ::lstat((root / "a").c_str(), &a);
  ::lstat((root / "dir/b").c_str(), &b);
  ::lstat((root / "c").c_str(), &c);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_ino, c.st_ino);
  EXPECT_EQ(a.st_nlink, 3u);
  EXPECT_EQ(read_file(root / "d"), "from below");
  EXPECT_TRUE(S_ISLNK(mode_of("slh")));  // linked the symlink, not its target
  EXPECT_THROW(apply({{"x", 'h', "missing"}}), Error);
  EXPECT_THROW(apply({{"y", 'h', "dir"}}), Error);
}

TEST_F(ExtractTest, SymlinkChainsResolveInsideRoot) {
  apply({{"real/", 'd', "", 0755},
         {"l1", 'l', "l2"},
         {"l2", 'l', "/l3"},
         {"l3", 'l', "real/../real"},
         {"l1/f", 'f', "via chain"},
         {"real/sub/rel", 'l', "../../real"},
         {"real/sub/rel/g", 'f', "via relative"}});
  EXPECT_EQ(read_file(root / "real/f"), "via chain");
  EXPECT_EQ(read_file(root / "real/g"), "via relative");
  EXPECT_EQ(fs::read_symlink(root / "l1"), "l2");
}

TEST_F(ExtractTest, SymlinkLoopIsAnError) {
  EXPECT_THROW(apply({{"a", 'l', "b"}, {"b", 'l', "a"}, {"a/x", 'f', "x"}}), Error);
}

TEST_F(ExtractTest, FileAsParentIsAnError) {
  try {
    apply({{"f", 'f', "x"}, {"f/g", 'f', "y"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("f/g"), std::string::npos);
  }
}

TEST_F(ExtractTest, FifosAndDevices) {
  TarEntry dev{"dev/null", 'c', "", 0666};
  dev.rdev_major = 1;
  dev.rdev_minor = 3;
  auto st = apply({{"p", 'p', "", 0620}, dev});
  EXPECT_TRUE(S_ISFIFO(mode_of("p")));
  EXPECT_EQ(mode_of("p") & 0777, 0620u);
  if (st.skipped_devices == 0) {
    struct stat s {};
    ::lstat((root / "dev/null").c_str(), &s);
    EXPECT_TRUE(S_ISCHR(s.st_mode));
    EXPECT_EQ(s.st_rdev, makedev(1, 3));
  } else {
    EXPECT_FALSE(fs::exists(root / "dev/null"));
  }
}

TEST_F(ExtractTest, Xattrs) {
  TarEntry f{"f", 'f', "x"};
  f.xattrs = {{"user.kiln", "yes"}};
  apply({f});
  char buf[16];
  ssize_t n = ::getxattr((root / "f").c_str(), "user.kiln", buf, sizeof buf);
  if (n < 0 && errno == ENOTSUP) GTEST_SKIP() << "filesystem without user xattrs";
  ASSERT_EQ(n, 3);
  EXPECT_EQ(std::string(buf, 3), "yes");
}

TEST_F(ExtractTest, LaterEntryOverwritesEarlier) {
  apply({{"f", 'f', "first"}, {"f", 'f', "second"}});
  EXPECT_EQ(read_file(root / "f"), "second");
}

}  // namespace
}  // namespace kiln::layer

namespace kiln::layer {
namespace {

TEST_F(ExtractTest, NonAsciiAndLongNames) {
  std::string longname = std::string(120, 'a') + "/" + std::string(150, 'b') + ".txt";
  apply({{"caf\xc3\xa9/\xe6\x97\xa5.txt", 'f', "utf8"}, {longname, 'f', "long"}, {"raw\xff\xfe", 'f', "latin"},
         {"ln", 'l', std::string(200, 'c')}});
  EXPECT_EQ(read_file(root / "caf\xc3\xa9/\xe6\x97\xa5.txt"), "utf8");
  EXPECT_EQ(read_file(root / longname), "long");
  EXPECT_EQ(read_file(root / "raw\xff\xfe"), "latin");
  EXPECT_EQ(fs::read_symlink(root / "ln").string(), std::string(200, 'c'));
}

// Small files are written by a pool of threads, a directory at a time. The
// cases below each put a later entry on a path (or under it, or linking to
// it) that an earlier, possibly still queued, file owns: the result must be
// what applying the entries in order gives.
TEST_F(ExtractTest, PooledWritesKeepTarOrderSemantics) {
  std::vector<TarEntry> es;
  for (int d = 0; d < 30; ++d) {
    es.push_back({"many/d" + std::to_string(d) + "/", 'd', "", 0555});  // read-only: mode set at the end
    for (int i = 0; i < 40; ++i)
      es.push_back({"many/d" + std::to_string(d) + "/f" + std::to_string(i), 'f',
                    "file " + std::to_string(d) + "/" + std::to_string(i), 0640});
  }
  es.push_back({"twice", 'f', "first"});
  es.push_back({"other/x", 'f', "x"});  // another directory in between
  es.push_back({"twice", 'f', "second"});
  es.push_back({"target", 'f', "linked"});
  es.push_back({"link", 'h', "target"});
  es.push_back({"gone", 'f', "soon removed"});
  es.push_back({".wh.gone", 'f', ""});
  es.push_back({"was-file", 'f', "then a directory"});
  es.push_back({"was-file/", 'd', "", 0755});
  es.push_back({"was-file/inner", 'f', "inner"});
  es.push_back({"dir-then-file/a", 'f', "a"});
  es.push_back({"dir-then-file", 'f', "now a file"});
  es.push_back({"parent-file", 'f', "p"});
  es.push_back({"sym", 'l', "parent-file"});
  auto st = apply(es, Wrap::Gzip);
  for (int d = 0; d < 30; ++d) {
    EXPECT_EQ(mode_of("many/d" + std::to_string(d)) & 07777, 0555u);
    for (int i = 0; i < 40; ++i) {
      std::string rel = "many/d" + std::to_string(d) + "/f" + std::to_string(i);
      ASSERT_EQ(read_file(root / rel), "file " + std::to_string(d) + "/" + std::to_string(i)) << rel;
      ASSERT_EQ(mode_of(rel) & 07777, 0640u) << rel;
    }
  }
  EXPECT_EQ(read_file(root / "twice"), "second");
  struct stat a {}, b {};
  ASSERT_EQ(::stat((root / "target").c_str(), &a), 0);
  ASSERT_EQ(::stat((root / "link").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(read_file(root / "link"), "linked");
  EXPECT_FALSE(fs::exists(root / "gone"));
  EXPECT_TRUE(S_ISDIR(mode_of("was-file")));
  EXPECT_EQ(read_file(root / "was-file/inner"), "inner");
  EXPECT_EQ(read_file(root / "dir-then-file"), "now a file");
  EXPECT_TRUE(S_ISLNK(mode_of("sym")));
  EXPECT_GT(st.bytes, 0);
}

// The pooled files' contents travel in batch buffers that are reused once
// written: many batches (over 256 files or 4 MB each, in several
// directories), files up to the 1 MB pooling limit, empty files after full
// ones. Every file must hold exactly its own bytes, nothing left over from a
// buffer's earlier batch.
TEST_F(ExtractTest, ReusedBatchBuffersKeepEachFilesBytes) {
  std::vector<TarEntry> es;
  auto content = [](int d, int i) {
    std::size_t size = i % 50 == 7 ? (1u << 20) : i % 9 == 0 ? 0 : static_cast<std::size_t>(i) * 7919 % 40000;
    std::string tag = std::to_string(d) + "/" + std::to_string(i) + ":";
    std::string c(size, static_cast<char>('a' + (d * 7 + i) % 26));
    c.replace(0, std::min(tag.size(), size), tag, 0, std::min(tag.size(), size));
    return c;
  };
  for (int d = 0; d < 3; ++d)
    for (int i = 0; i < 300; ++i)
      es.push_back({"b/d" + std::to_string(d) + "/f" + std::to_string(i), 'f', content(d, i)});
  apply(es, Wrap::Gzip);
  for (int d = 0; d < 3; ++d)
    for (int i = 0; i < 300; ++i) {
      std::string rel = "b/d" + std::to_string(d) + "/f" + std::to_string(i);
      ASSERT_EQ(read_file(root / rel), content(d, i)) << rel;
    }
}

// A write that fails on a writer thread fails the extraction, naming its
// entry. RLIMIT_FSIZE makes the write fail even for root (EFBIG).
TEST_F(ExtractTest, PooledWriteFailureNamesTheEntry) {
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = 1000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message;
  try {
    apply({{"small", 'f', "fits"}, {"dir/too-big", 'f', std::string(5000, 'b')}});
  } catch (const Error& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_NE(message.find("dir/too-big"), std::string::npos) << message;
  EXPECT_NE(message.find("File too large"), std::string::npos) << message;
}


}  // namespace
}  // namespace kiln::layer
