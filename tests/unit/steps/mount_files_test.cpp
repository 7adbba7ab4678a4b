// RUN --mount without a mount namespace (mount_method.h, mount_journal.h,
// mount_files.h, MountSession with MountMethod::Files): the decision, the
// journal format, and the effects in a temporary root, including the replay
// after a build killed with its mounts in place.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "base/error.h"
#include "steps/mount_files.h"
#include "steps/mount_journal.h"
#include "steps/mount_method.h"
#include "steps/mount_setup.h"
#include "steps/run_mounts.h"
#include "dockerfile/mount_spec.h"
#include "support/temp_dir.h"

using namespace kiln::steps;
namespace fsys = std::filesystem;

namespace {

using kiln::testing::TempDir;

std::string read(const fsys::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct stat lstat_of(const fsys::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p;
  return st;
}

// A root with /existing (a directory of the image holding image-file), a
// context, a cache dir and a work dir, all below one temporary directory.
struct Fixture {
  TempDir t{"kiln-mount-files"};
  fsys::path root = t.path() / "root";
  fsys::path work = t.path() / "work";
  MountEnv env;
  explicit Fixture(const fsys::path& cache_dir = {}) {
    fsys::create_directories(root / "existing");
    std::ofstream(root / "existing" / "image-file") << "from the image";
    fsys::create_directories(t.path() / "ctx" / "src");
    std::ofstream(t.path() / "ctx" / "src" / "hello") << "context file";
    fsys::create_directories(work / "scratch");
    env.root = root;
    env.context_dir = t.path() / "ctx";
    env.cache_dir = cache_dir.empty() ? t.path() / "cache" : cache_dir;
    env.scratch = work / "scratch";
    env.journal = work / kMountJournalName;
    env.method = MountMethod::Files;
    env.location = "line 2";
    env.secrets = parse_secret_flags({"id=tok,env=TOK"});
    env.getenv = [](std::string_view k) -> std::optional<std::string> {
      if (k == "TOK") return std::string("s3cr3t-value");
      return std::nullopt;
    };
  }
  std::vector<PlannedMount> plan(const std::vector<std::string>& values) {
    std::vector<kiln::dockerfile::MountSpec> specs;
    for (const auto& v : values) specs.push_back(kiln::dockerfile::parse_mount(v));
    return plan_mounts(specs, "/", available_secrets(env.secrets, env.getenv));
  }
  fsys::path cache(const std::string& id) { return env.cache_dir / "run-cache" / cache_key(id); }
};

const std::vector<std::string> kAllTypes = {"type=cache,id=c,target=/existing", "source=src,target=/new/ctx",
                                            "type=secret,id=tok,target=/run/secrets/tok,mode=0440,uid=1000",
                                            "type=tmpfs,target=/t"};

}  // namespace

TEST(MountMethod, AnyProbeFailureMeansFileOperations) {
  EXPECT_EQ(choose_mount_method({}).method, MountMethod::Namespace);
  auto c = choose_mount_method({EPERM, "unshare(CLONE_NEWNS)"});
  EXPECT_EQ(c.method, MountMethod::Files);
  EXPECT_NE(c.why.find("unshare(CLONE_NEWNS): Operation not permitted"), std::string::npos) << c.why;
  EXPECT_NE(c.why.find("CAP_SYS_ADMIN"), std::string::npos) << c.why;
  EXPECT_EQ(choose_mount_method({EACCES, "mount(MS_BIND)"}).method, MountMethod::Files);
}

TEST(MountMethod, DeciderProbesOncePerBuild) {
  int probes = 0;
  MountMethodDecider d([&] {
    ++probes;
    return MountProbe{EPERM, "unshare(CLONE_NEWNS)"};
  });
  EXPECT_FALSE(d.decided());
  EXPECT_EQ(d.get().method, MountMethod::Files);
  EXPECT_EQ(d.get().method, MountMethod::Files);
  EXPECT_TRUE(d.decided());
  EXPECT_EQ(probes, 1);
}

TEST(MountJournal, EntriesRoundTripAnyPath) {
  std::vector<JournalEntry> in = {{JournalEntry::Op::Mkdir, "/r/a b", ""},
                                  {JournalEntry::Op::Aside, "/r/tab\there", "/w/aside-0"},
                                  {JournalEntry::Op::MoveIn, "/c/x\\y", "/r/new\nline"},
                                  {JournalEntry::Op::CopyIn, "/c/k", "/r/t"},
                                  {JournalEntry::Op::Placed, "/r/run/secrets/tok", ""}};
  std::string text;
  for (const auto& e : in) text += format_entry(e);
  EXPECT_EQ(parse_journal(text), in);
}

TEST(MountJournal, TornOrForeignLinesAreSkipped) {
  std::string good = format_entry({JournalEntry::Op::Placed, "/r/x", ""});
  EXPECT_EQ(parse_journal(good + "bogus\t/a\t\n" + "placed\t/half").size(), 1u);
  EXPECT_TRUE(parse_journal("placed\t\t\n").empty()) << "an entry needs a path";
  EXPECT_TRUE(parse_journal("placed\t/a\\q\t\n").empty()) << "a bad escape";
}

TEST(FileMounts, EveryTypeInPlaceDuringTheRunAndGoneAfter) {
  Fixture f;
  fsys::create_directories(f.cache("c"));
  std::ofstream(f.cache("c") / "from-last-build") << "cached";
  struct stat cache_st = lstat_of(f.cache("c"));
  struct stat root_before = lstat_of(f.root);
  struct stat existing_before = lstat_of(f.root / "existing" / "image-file");
  {
    MountSession s(f.plan(kAllTypes), f.env);
    EXPECT_TRUE(s.ops().empty()) << "nothing for a mount namespace to do";
    // cache: the very directory (renamed, not copied), shadowing the image's.
    struct stat at = lstat_of(f.root / "existing");
    EXPECT_EQ(at.st_ino, cache_st.st_ino);
    EXPECT_EQ(read(f.root / "existing" / "from-last-build"), "cached");
    EXPECT_FALSE(fsys::exists(f.root / "existing" / "image-file"));
    EXPECT_FALSE(fsys::exists(f.cache("c")));
    // bind: a copy.
    EXPECT_EQ(read(f.root / "new" / "ctx" / "hello"), "context file");
    // secret: a file with its mode and owner.
    EXPECT_EQ(read(f.root / "run" / "secrets" / "tok"), "s3cr3t-value");
    struct stat sec = lstat_of(f.root / "run" / "secrets" / "tok");
    EXPECT_EQ(sec.st_mode & 07777, 0440u);
    EXPECT_EQ(sec.st_uid, 1000u);
    // tmpfs: an empty directory like a fresh tmpfs.
    EXPECT_TRUE(fsys::is_empty(f.root / "t"));
    EXPECT_EQ(lstat_of(f.root / "t").st_mode & 07777, 01777u);
    EXPECT_NE(read(f.env.journal), "") << "the changes are journalled while in place";
    EXPECT_EQ(read(f.env.journal).find("s3cr3t"), std::string::npos) << "never the secret's value";
    // What the command does.
    std::ofstream(f.root / "existing" / "written-by-run") << "new";
    std::ofstream(f.root / "new" / "ctx" / "hello") << "scribbled";
    std::ofstream(f.root / "t" / "tmp") << "x";
  }
  EXPECT_EQ(read(f.cache("c") / "written-by-run"), "new") << "the cache keeps what the RUN wrote";
  EXPECT_EQ(read(f.root / "existing" / "image-file"), "from the image");
  EXPECT_FALSE(fsys::exists(f.root / "existing" / "written-by-run"));
  EXPECT_EQ(lstat_of(f.root / "existing" / "image-file").st_ino, existing_before.st_ino) << "put back, not copied";
  EXPECT_EQ(read(f.t.path() / "ctx" / "src" / "hello"), "context file") << "the context is never written";
  for (const char* gone : {"new", "run", "t"}) EXPECT_FALSE(fsys::exists(f.root / gone)) << gone;
  struct stat root_after = lstat_of(f.root);
  EXPECT_EQ(root_after.st_mtim.tv_sec, root_before.st_mtim.tv_sec);
  EXPECT_EQ(root_after.st_mtim.tv_nsec, root_before.st_mtim.tv_nsec) << "the root's mtime is put back";
  EXPECT_EQ(read(f.env.journal), "") << "nothing left to replay";
  EXPECT_TRUE(fsys::is_empty(f.env.scratch / "run-mounts")) << "no set-aside leftovers";
}

TEST(FileMounts, RestoredWhenASetUpStepFails) {
  Fixture f;
  std::ofstream(f.root / "file") << "x";
  EXPECT_THROW(MountSession(f.plan({"type=cache,id=c,target=/existing", "type=tmpfs,target=/file"}), f.env),
               kiln::UsageError);
  EXPECT_TRUE(fsys::exists(f.root / "existing" / "image-file"));
  EXPECT_TRUE(fsys::is_directory(f.cache("c")));
  EXPECT_EQ(read(f.env.journal), "");
}

TEST(FileMounts, SameCacheTwiceInOneRunIsRefused) {
  Fixture f;
  EXPECT_THROW(MountSession(f.plan({"type=cache,id=c,target=/a", "type=cache,id=c,target=/b"}), f.env),
               kiln::UsageError);
  EXPECT_FALSE(fsys::exists(f.root / "a"));
}

TEST(FileMounts, AKilledBuildIsPutRightByTheNextStart) {
  Fixture f;
  fsys::create_directories(f.cache("c"));
  std::ofstream(f.cache("c") / "kept") << "cached";
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Mounts in place, then death without any destructor: as SIGKILL.
    auto* s = new MountSession(f.plan(kAllTypes), f.env);
    (void)s;
    ::_exit(fsys::exists(f.root / "run" / "secrets" / "tok") ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_TRUE(fsys::exists(f.root / "existing" / "kept")) << "the cache is in the root";
  kiln::log::Logger log;
  EXPECT_EQ(replay_stale_journals(f.t.path(), log), 1);
  EXPECT_EQ(read(f.cache("c") / "kept"), "cached") << "the cache went back";
  EXPECT_EQ(read(f.root / "existing" / "image-file"), "from the image");
  EXPECT_FALSE(fsys::exists(f.root / "existing" / "kept"));
  for (const char* gone : {"new", "run", "t"}) EXPECT_FALSE(fsys::exists(f.root / gone)) << gone;
  EXPECT_EQ(replay_stale_journals(f.t.path(), log), 0) << "replayed once";
}

TEST(FileMounts, ALiveBuildsJournalIsLeftAlone) {
  Fixture f;
  MountSession s(f.plan({"type=tmpfs,target=/t"}), f.env);
  kiln::log::Logger log;
  EXPECT_EQ(replay_stale_journals(f.t.path(), log), 0);
  EXPECT_TRUE(fsys::exists(f.root / "t"));
}

TEST(FileMounts, CacheOnAnotherFilesystemIsCopiedInAndBack) {
  TempDir other("/dev/shm/kiln-mount-files");  // another filesystem than $TMPDIR
  struct stat a {}, b {};
  if (other.path().empty() || ::stat(other.path().c_str(), &a) != 0 || ::stat("/tmp", &b) != 0 || a.st_dev == b.st_dev)
    GTEST_SKIP() << "needs /dev/shm on a filesystem other than /tmp's";
  Fixture f(other.path());
  fsys::create_directories(f.cache("c"));
  std::ofstream(f.cache("c") / "old") << "cached";
  ::chown((f.cache("c") / "old").c_str(), 1000, 1000);
  {
    MountSession s(f.plan({"type=cache,id=c,target=/c"}), f.env);
    EXPECT_EQ(read(f.root / "c" / "old"), "cached");
    EXPECT_EQ(lstat_of(f.root / "c" / "old").st_uid, 1000u) << "owners kept";
    EXPECT_TRUE(fsys::exists(f.cache("c") / "old")) << "a copy: the cache stays whole on its volume";
    std::ofstream(f.root / "c" / "new") << "from the run";
    fsys::remove(f.root / "c" / "old");
  }
  EXPECT_EQ(read(f.cache("c") / "new"), "from the run");
  EXPECT_FALSE(fsys::exists(f.cache("c") / "old")) << "the cache is what the RUN left";
  EXPECT_FALSE(fsys::exists(f.root / "c"));
}

TEST(FileMounts, BuildsSharingACacheTakeTurnsOrGoPrivate) {
  Fixture f, other;  // two containers sharing one cache volume
  other.env.cache_dir = f.env.cache_dir;
  auto a = std::make_unique<MountSession>(f.plan({"type=cache,id=c,target=/a"}), f.env);
  std::ofstream(f.root / "a" / "from-a") << "a";
  {
    MountSession priv(other.plan({"type=cache,id=c,target=/p,sharing=private"}), other.env);
    EXPECT_TRUE(fsys::is_empty(other.root / "p")) << "private: a cache of its own while another build has it";
  }
  std::atomic<bool> b_in{false};
  bool saw_a = false;
  std::thread t([&] {
    MountSession b(other.plan({"type=cache,id=c,target=/b"}), other.env);  // sharing=shared
    b_in = true;
    saw_a = fsys::exists(other.root / "b" / "from-a");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(b_in) << "shared waits while the directory is in another root";
  a.reset();
  t.join();
  EXPECT_TRUE(b_in);
  EXPECT_TRUE(saw_a) << "then sees what the first build left";
}

// A read-only bind and a tmpfs size= cannot be enforced without a mount
// namespace; the session reports, after the command, that either was broken.
TEST(FileMounts, AWriteToAReadOnlyBindIsReportedNamingTheMount) {
  Fixture f;
  fsys::create_directories(f.t.path() / "ctx" / "src" / "sub");
  std::ofstream(f.t.path() / "ctx" / "src" / "sub" / "deep") << "deep";
  auto plan = f.plan({"type=bind,source=src,target=/ro", "type=bind,source=src,target=/rw,rw"});
  {
    MountSession s(plan, f.env);
    std::ifstream(f.root / "ro" / "hello").get();  // reading is fine
    std::ofstream(f.root / "rw" / "hello") << "rw may be written";
    EXPECT_EQ(s.broken_promise(), std::nullopt);
  }
  // Each kind of change, made right after the set-up (within one clock tick
  // of the copy): a write of the same length, a new file, a removal, a chmod.
  std::vector<std::pair<std::string, std::function<void(const fsys::path&)>>> changes = {
      {"/ro/hello changed", [](const fsys::path& r) { std::ofstream(r / "ro" / "hello") << "context filX"; }},
      {"/ro/new created", [](const fsys::path& r) { std::ofstream(r / "ro" / "new") << ""; }},
      {"/ro/sub/deep removed", [](const fsys::path& r) { fsys::remove(r / "ro" / "sub" / "deep"); }},
      {"/ro/sub changed", [](const fsys::path& r) { ::chmod((r / "ro" / "sub").c_str(), 0700); }},
      {"/ro changed", [](const fsys::path& r) { ::chmod((r / "ro").c_str(), 0700); }},
  };
  for (const auto& [expected, change] : changes) {
    MountSession s(plan, f.env);
    change(f.root);
    auto msg = s.broken_promise();
    ASSERT_TRUE(msg.has_value()) << expected;
    EXPECT_NE(msg->find("line 2: RUN --mount=type=bind,source=src,target=/ro: "), std::string::npos) << *msg;
    EXPECT_NE(msg->find("read-only bind (" + expected + ")"), std::string::npos) << *msg;
  }
  EXPECT_EQ(read(f.t.path() / "ctx" / "src" / "hello"), "context file") << "the context is never written";
  EXPECT_FALSE(fsys::exists(f.root / "ro"));
}

TEST(FileMounts, ATmpfsFilledBeyondItsSizeIsReported) {
  Fixture f;
  MountSession s(f.plan({"type=tmpfs,target=/t,size=1000", "type=tmpfs,target=/u"}), f.env);
  std::ofstream(f.root / "t" / "a") << std::string(600, 'a');
  std::ofstream(f.root / "u" / "big") << std::string(5000, 'b');  // no size=: no limit
  EXPECT_EQ(s.broken_promise(), std::nullopt);
  fsys::create_directories(f.root / "t" / "d");
  std::ofstream(f.root / "t" / "d" / "b") << std::string(401, 'b');
  auto msg = s.broken_promise();
  ASSERT_TRUE(msg.has_value());
  EXPECT_NE(msg->find("RUN --mount=type=tmpfs,target=/t,size=1000: the command left 1001 bytes in /t, more than "
                      "the tmpfs's size=1000"), std::string::npos) << *msg;
}

TEST(MountChecks, FirstChangeNamesTheEntry) {
  auto entry = [](std::string path, std::int64_t ctime) {
    kiln::fs::ScanEntry e;
    e.path = std::move(path);
    e.ctime_ns = ctime;
    e.mode = S_IFREG | 0644;
    e.size = 10;
    return e;
  };
  TreeStamp a{entry("", 1), entry("x", 1), entry("y", 1)};
  EXPECT_EQ(first_change(a, a), std::nullopt);
  EXPECT_EQ(first_change(a, {entry("", 1), entry("x", 2), entry("y", 1)}), "x changed");
  EXPECT_EQ(first_change(a, {entry("", 1), entry("y", 1)}), "x removed");
  EXPECT_EQ(first_change(a, {entry("", 2), entry("x", 1), entry("y", 1), entry("z", 1)}), "z created");
  TreeStamp dirs{entry("", 1), entry("d", 1), entry("d/e", 1), entry("f", 1)};
  for (auto& e : dirs) e.mode = e.path == "f" ? S_IFREG | 0644 : S_IFDIR | 0755;
  TreeStamp later = dirs;
  for (auto& e : later) e.ctime_ns = 2;
  EXPECT_EQ(first_change(dirs, later), "f changed") << "a file before directories";
  later[3] = dirs[3];
  EXPECT_EQ(first_change(dirs, later), "d/e changed") << "the deepest directory";
  EXPECT_EQ(file_bytes(a), 30u);
}
