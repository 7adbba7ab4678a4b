// Hostile layers. Each case builds a layer by hand, applies it to a root
// that sits deep inside a scratch directory next to sentinel files, with
// <root>/kaniko ignored the way kaniko ignores its own directory. Afterwards
// everything outside the root and everything in <root>/kaniko must be
// byte-for-byte what it was; refused entries must raise an error.
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/sysmacros.h>

#include <chrono>
#include <cstdio>
#include <cstring>

#include "base/error.h"
#include "layer/extractor.h"
#include "layer_test_util.h"

namespace kiln::layer {
namespace {

using namespace testing;

bool under(std::string_view p, std::string_view dir) {
  return p == dir || (p.size() > dir.size() && p.compare(0, dir.size(), dir) == 0 && p[dir.size()] == '/');
}
// What the executor ignores in a container: its own directory and the
// kernel's mounts.
bool ignored_kaniko(std::string_view p) { return under(p, "/kaniko") || under(p, "/proc") || under(p, "/sys"); }

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
    write_file(root / "proc/1/status", "Name: init");
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
      bool in_kaniko = line.rfind(rel + "/kaniko", 0) == 0 || line.rfind(rel + "/proc", 0) == 0;
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

TEST_F(Hostile, WhiteoutsOfIgnoredMountsAreSkipped) {
  auto st = apply({{".wh.proc", 'f'}, {"proc/.wh.1", 'f'}, {"proc/1/.wh..wh..opq", 'f'}, {".wh.kaniko", 'f'},
                   {"sys", 'l', "/etc"}, {"l", 'l', "/proc"}, {"l/.wh.1", 'f'}});
  EXPECT_GE(st.skipped_ignored, 5);
  EXPECT_EQ(read_file(root / "proc/1/status"), "Name: init");
}

TEST_F(Hostile, DeviceNodesStayInsideTheRoot) {
  // Created (as Docker and kaniko do, when privileged) but only in the root,
  // also when the parent is a symlink to the host's /dev; whether a node can
  // be opened is the container's device cgroup's business.
  auto st = apply({{"hostdev", 'l', "/dev"}, {"hostdev/evil-mem", 'c', "", 0666, 0, 0, 1700000000, 1, 1},
                   {"up", 'l', "../../../.."}, {"up/evil-null", 'c', "", 0666, 0, 0, 1700000000, 1, 3},
                   {"kaniko/evil", 'c', "", 0666, 0, 0, 1700000000, 1, 3}, {"fifo", 'p'}});
  EXPECT_FALSE(fs::exists("/dev/evil-mem"));
  EXPECT_EQ(st.skipped_ignored, 1);
  struct stat sb {};
  if (::lstat((root / "dev/evil-mem").c_str(), &sb) == 0) {
    EXPECT_TRUE(S_ISCHR(sb.st_mode));
    EXPECT_EQ(major(sb.st_rdev), 1u);
  } else {
    EXPECT_EQ(st.skipped_devices, 2);  // not privileged: skipped, never elsewhere
  }
}

TEST_F(Hostile, NewlinesAndInvalidUtf8InNamesStayInside) {
  std::string nl = "etc/pass\nwd";
  std::string bad = std::string("bin/\xff\xfe\x80");
  apply({{nl, 'f', "nl"}, {bad, 'f', "bad"}});
  EXPECT_EQ(read_file(root / nl), "nl");
  EXPECT_EQ(read_file(root / bad), "bad");
  EXPECT_EQ(read_file(root / "etc/passwd"), "root:x:0:0");
  // The fixture's line-based fingerprint cannot hold a newline in a name.
  fs::remove(root / nl);
}

TEST_F(Hostile, NewlineNamesThatClimbAreRefused) {
  expect_refused({{"a\n/../../../b", 'f', "x"}}, "../../../b");
  expect_refused({{"../\n/x", 'd'}}, "../\n/x");
}

TEST_F(Hostile, SparseFileClaimingTenGigabytesTakesNoSpace) {
  // A PAX sparse entry: 10 GiB apparent size, 4 KiB of data. The file must
  // be written sparse (holes, not zeros), or one small layer fills the disk.
  const std::int64_t ten_gib = 10LL << 30;
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax(a);
  archive_write_open2(
      a, &out, nullptr,
      [](archive*, void* s, const void* b, size_t n) -> la_ssize_t {
        static_cast<std::string*>(s)->append(static_cast<const char*>(b), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr, nullptr);
  archive_entry* e = archive_entry_new();
  archive_entry_set_pathname(e, "big");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, ten_gib);
  archive_entry_sparse_add_entry(e, 1 << 20, 4096);
  archive_entry_sparse_add_entry(e, ten_gib - 4096, 0);  // the hole runs to the end
  ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
  std::string block(4096, 'S');
  archive_write_data(a, block.data(), block.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  ASSERT_LT(out.size(), 64u * 1024) << "the layer itself is small";

  apply({});  // the root exists and is usable
  try {
    extract_bytes(out, root, ExtractOptions{ignored_kaniko});
  } catch (const Error& e) {
    // Refusing is fine too; it must name the entry.
    EXPECT_NE(std::string(e.what()).find("big"), std::string::npos) << e.what();
    return;
  }
  struct stat st {};
  ASSERT_EQ(::stat((root / "big").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, ten_gib);
  EXPECT_LT(static_cast<std::int64_t>(st.st_blocks) * 512, 1 << 20) << "holes were written as zeros";
  fs::remove(root / "big");
}

TEST_F(Hostile, SizeClaimBeyondTheStreamIsAnError) {
  // A plain header claiming 10 GiB followed by 1 KiB: the extractor must stop
  // at the end of the stream with an error naming the entry, not wait or spin.
  std::string tar = make_tar({{"claims-big", 'f', std::string(1024, 'x')}});
  // Patch the ustar size field (octal, offset 124, 12 bytes) in the first
  // header that names the entry; PAX restricted writes a plain ustar header.
  auto pos = tar.find("claims-big");
  ASSERT_NE(pos, std::string::npos);
  std::string hdr = tar.substr(pos, 512);
  std::snprintf(&tar[pos + 124], 12, "%011llo", static_cast<unsigned long long>(10LL << 30));
  unsigned sum = 0;
  std::memset(&tar[pos + 148], ' ', 8);
  for (int i = 0; i < 512; ++i) sum += static_cast<unsigned char>(tar[pos + i]);
  std::snprintf(&tar[pos + 148], 8, "%06o", sum);
  tar[pos + 155] = ' ';
  try {
    extract_bytes(tar, root, ExtractOptions{ignored_kaniko});
    ADD_FAILURE() << "a truncated entry was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("claims-big"), std::string::npos) << e.what();
  }
}

TEST_F(Hostile, ManyEmptyFiles) {
  // The "a million empty files", scaled to 50,000 so the unit suite
  // stays fast on a noisy disk: per-entry work is constant (one openat walk
  // of a shallow parent, one create), so a million is 20 times this; the
  // point checked here is that nothing grows worse than linearly or leaks
  // descriptors, and that all land in the root.
  constexpr int kFiles = 50000;
  std::vector<TarEntry> es;
  es.reserve(kFiles);
  for (int i = 0; i < kFiles; ++i) es.push_back({"many/" + std::to_string(i % 100) + "/" + std::to_string(i), 'f'});
  auto t0 = std::chrono::steady_clock::now();
  auto st = apply(es);
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(st.entries, kFiles);
  std::size_t n = 0;
  for (auto& d : fs::directory_iterator(root / "many"))
    n += static_cast<std::size_t>(std::distance(fs::directory_iterator(d.path()), fs::directory_iterator()));
  EXPECT_EQ(n, static_cast<std::size_t>(kFiles));
  RecordProperty("seconds", std::to_string(secs));
  fs::remove_all(root / "many");
}

TEST_F(Hostile, FourThousandNestedDirectories) {
  // 4,096 levels: the path (8 KiB) is longer than PATH_MAX, so only a walk
  // with *at calls reaches the bottom; a symlink down there to "/" must
  // still mean the root. A relative climb of all 4,096 levels does not fit
  // in a symlink (targets stop at PATH_MAX): refused, naming the entry.
  constexpr int kDepth = 4096;
  std::string deep;
  for (int i = 0; i < kDepth; ++i) deep += "d/";
  std::string up;
  for (int i = 0; i < kDepth + 8; ++i) up += "../";
  // A low descriptor limit: a walk that keeps one descriptor per level open
  // would fail here (and in a container with a small ulimit) with EMFILE.
  struct rlimit old {};
  ::getrlimit(RLIMIT_NOFILE, &old);
  struct rlimit low = old;
  low.rlim_cur = std::min<rlim_t>(old.rlim_cur, 1024);
  ::setrlimit(RLIMIT_NOFILE, &low);
  try {
    apply({{deep + "leaf", 'f', "deep"}, {deep + "abs", 'l', "/"}, {deep + "abs/escaped", 'f', "x"},
           {deep + "abs/kaniko/executor", 'f', "pwned"}});
    expect_refused({{deep + "up", 'l', up}}, deep + "up");
  } catch (const Error& e) {
    ::setrlimit(RLIMIT_NOFILE, &old);
    FAIL() << e.what();
  }
  // A whiteout of the top under the same limit: removal recurses with one
  // descriptor per level, so it may be refused with an error naming the
  // path (never a crash, nothing outside touched); with the usual limit it
  // goes through.
  try {
    apply({{".wh.d", 'f'}});
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/d/d/d"), std::string::npos) << e.what();
  }
  ::setrlimit(RLIMIT_NOFILE, &old);
  apply({{".wh.d", 'f'}});
  EXPECT_EQ(read_file(root / "escaped"), "x");
  EXPECT_FALSE(fs::exists(fs::symlink_status(root / "d")));
}

}  // namespace
}  // namespace kiln::layer
