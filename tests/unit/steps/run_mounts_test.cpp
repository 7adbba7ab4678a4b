#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "dockerfile/mount_spec.h"
#include "proc/process.h"
#include "steps/mount_setup.h"
#include "steps/run_mounts.h"
#include "support/temp_dir.h"
#include "support/usage_error.h"

using namespace kiln::steps;
using namespace kiln::proc;
using kiln::dockerfile::parse_mount;
namespace fsys = std::filesystem;

namespace {

std::vector<PlannedMount> plan(const std::vector<std::string>& values, std::string wd = "/",
                               std::set<std::string> secrets = {}) {
  std::vector<kiln::dockerfile::MountSpec> specs;
  for (const auto& v : values) specs.push_back(parse_mount(v));
  return plan_mounts(specs, wd, secrets);
}

std::string error_of(const std::function<void()>& f) { return kiln::testing::usage_error_of(f); }


}  // namespace

using kiln::testing::TempDir;

namespace {

// A MountEnv whose paths all lie below t: root (created), ctx, cache and
// scratch; location prefixes its errors.
MountEnv env_in(const TempDir& t, const std::string& location = "") {
  MountEnv env;
  env.root = t.path() / "root";
  fsys::create_directories(env.root);
  env.context_dir = t.path() / "ctx";
  env.cache_dir = t.path() / "cache";
  env.scratch = t.path() / "scratch";
  env.location = location;
  return env;
}

}  // namespace

TEST(SecretFlags, FileEnvAndBuildxDefaults) {
  auto s = parse_secret_flags({"id=npm,src=/run/npmrc", "id=tok,env=TOKEN", "id=plain", "id=f,type=file",
                               "id=e,type=env,src=VAR", "id=npm,source=/other"});
  EXPECT_EQ(s.at("npm").file, "/other");  // the later flag wins
  EXPECT_EQ(s.at("tok").env, "TOKEN");
  EXPECT_EQ(s.at("plain").env, "plain");
  EXPECT_EQ(s.at("f").file, "f");
  EXPECT_EQ(s.at("e").env, "VAR");
  EXPECT_TRUE(s.at("e").file.empty());
}

TEST(SecretFlags, BadValuesNameTheFlag) {
  EXPECT_NE(error_of([] { parse_secret_flags({"src=/x"}); }).find("--secret src=/x: id= is required"),
            std::string::npos);
  EXPECT_NE(error_of([] { parse_secret_flags({"id=a,src=/x,env=Y"}); }).find("not both"), std::string::npos);
  EXPECT_NE(error_of([] { parse_secret_flags({"id=a,foo=1"}); }).find("unknown key \"foo\""), std::string::npos);
  EXPECT_THROW(parse_secret_flags({"id=a,type=ssh"}), kiln::UsageError);
  EXPECT_THROW(parse_secret_flags({"id"}), kiln::UsageError);
}

TEST(CacheKey, StableReadableAndContained) {
  EXPECT_EQ(cache_key("/root/.cache"), cache_key("/root/.cache"));
  EXPECT_NE(cache_key("/root/.cache"), cache_key("/root/_cache"));
  EXPECT_EQ(cache_key("go-build").rfind("go-build-", 0), 0u);
  for (const char* id : {"..", "../../etc", "/", "", "a/b"}) {
    std::string k = cache_key(id);
    EXPECT_EQ(k.find('/'), std::string::npos) << id;
    EXPECT_NE(k[0], '.') << id;
    EXPECT_FALSE(k.empty());
  }
  EXPECT_LE(cache_key(std::string(500, 'x')).size(), 40u + 17u);
}

TEST(PlanMounts, DefaultsFollowBuildKit) {
  auto p = plan({"target=/src", "type=bind,source=sub,target=/s2,rw", "type=cache,target=/root/.cache",
                 "type=cache,id=shared,target=/c2,sharing=locked,mode=0700,uid=5,gid=6", "type=tmpfs,target=/t,size=1m"});
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].kind, MountKind::Bind);
  EXPECT_TRUE(p[0].read_only);
  EXPECT_TRUE(p[0].from.empty());
  EXPECT_FALSE(p[1].read_only);
  EXPECT_EQ(p[1].source, "sub");
  EXPECT_EQ(p[2].kind, MountKind::Cache);
  EXPECT_FALSE(p[2].read_only);
  EXPECT_EQ(p[2].cache_key, cache_key("/root/.cache"));  // id defaults to the target
  EXPECT_EQ(p[2].mode, 0755u);
  EXPECT_EQ(p[3].cache_key, cache_key("shared"));
  EXPECT_EQ(p[3].sharing, kiln::dockerfile::CacheSharing::Locked);
  EXPECT_EQ(p[3].mode, 0700u);
  EXPECT_EQ(p[3].uid, 5u);
  EXPECT_EQ(p[3].gid, 6u);
  EXPECT_EQ(p[4].kind, MountKind::Tmpfs);
  EXPECT_EQ(p[4].size_bytes, 1024 * 1024);
}

TEST(PlanMounts, RelativeTargetsJoinTheWorkdir) {
  auto p = plan({"type=tmpfs,target=build/../out"}, "/app");
  EXPECT_EQ(p[0].target, "/app/out");
  EXPECT_EQ(plan({"type=tmpfs,target=x"}, "")[0].target, "/x");
}

TEST(PlanMounts, Secrets) {
  auto p = plan({"type=secret,id=tok", "type=secret,id=tok,target=/root/.npmrc,mode=0440,uid=1000",
                 "type=secret,id=tok,env=TOKEN", "type=secret,id=tok,env=T2,target=/t2"},
                "/", {"tok"});
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].kind, MountKind::SecretFile);
  EXPECT_EQ(p[0].target, "/run/secrets/tok");
  EXPECT_EQ(p[0].mode, 0400u);
  EXPECT_EQ(p[1].target, "/root/.npmrc");
  EXPECT_EQ(p[1].mode, 0440u);
  EXPECT_EQ(p[1].uid, 1000u);
  EXPECT_EQ(p[2].kind, MountKind::SecretEnv);
  EXPECT_EQ(p[2].env_name, "TOKEN");
  EXPECT_TRUE(p[2].target.empty());
  EXPECT_EQ(p[3].kind, MountKind::SecretEnv);  // both env= and target=
  EXPECT_EQ(p[4].kind, MountKind::SecretFile);
  EXPECT_EQ(p[4].target, "/t2");
}

TEST(PlanMounts, MissingSecretIsSkippedUnlessRequired) {
  EXPECT_TRUE(plan({"type=secret,id=gone"}).empty());
  std::string e = error_of([] { plan({"type=secret,id=gone,required"}); });
  EXPECT_NE(e.find("secret \"gone\" is required"), std::string::npos) << e;
  EXPECT_NE(e.find("--secret id=gone"), std::string::npos) << e;
}

TEST(PlanMounts, Refusals) {
  EXPECT_NE(error_of([] { plan({"type=ssh"}); }).find("type=ssh is not supported"), std::string::npos);
  EXPECT_NE(error_of([] { plan({"type=tmpfs,target=/"}); }).find("cannot mount over /"), std::string::npos);
  EXPECT_NE(error_of([] { plan({"type=tmpfs,target=/a", "type=cache,target=/a/"}); }).find("already used"),
            std::string::npos);
  EXPECT_NE(error_of([] { plan({"type=cache,target=/a/b", "target=/a"}); }).find("nested"), std::string::npos);
  EXPECT_NO_THROW(plan({"type=tmpfs,target=/a", "type=tmpfs,target=/ab"}));
}

// The effectful half without mounting anything: stubs appear for the RUN
// and are gone afterwards, existing paths are left alone.
TEST(MountSession, CreatesAndRemovesMountPointStubs) {
  TempDir t;
  fsys::path root = t.path() / "root";
  fsys::create_directories(root / "etc");
  fsys::create_directories(root / "existing");
  std::ofstream(root / "etc" / "keep") << "x";
  fsys::create_directories(t.path() / "scratch");
  fsys::create_directories(t.path() / "ctx" / "dir");
  std::ofstream(t.path() / "ctx" / "dir" / "f") << "ctx";
  struct stat before;
  ASSERT_EQ(::stat(root.c_str(), &before), 0);

  MountEnv env;
  env.root = root;
  env.context_dir = t.path() / "ctx";
  env.cache_dir = t.path() / "cache";  // outside root: persistent
  env.scratch = t.path() / "scratch";
  env.secrets = parse_secret_flags({"id=tok,env=TOK"});
  env.getenv = [](std::string_view k) -> std::optional<std::string> {
    if (k == "TOK") return std::string("s3cr3t");
    return std::nullopt;
  };
  env.location = "line 3";
  auto p = plan({"type=cache,target=/new/cache", "source=dir,target=/existing", "type=secret,id=tok",
                 "type=secret,id=tok,env=TOK_ENV", "type=tmpfs,target=/t"},
                "/", available_secrets(env.secrets, env.getenv));
  {
    MountSession s(p, env);
    EXPECT_TRUE(fsys::is_directory(root / "new" / "cache"));
    EXPECT_TRUE(fsys::is_regular_file(root / "run" / "secrets" / "tok"));
    EXPECT_EQ(fsys::file_size(root / "run" / "secrets" / "tok"), 0u) << "the stub holds no secret";
    EXPECT_TRUE(fsys::is_directory(root / "t"));
    EXPECT_EQ(s.env(), std::vector<std::string>{"TOK_ENV=s3cr3t"});
    EXPECT_TRUE(fsys::is_directory(t.path() / "cache" / "run-cache" / cache_key("/new/cache")));
    int binds = 0, tmpfs = 0, writes = 0;
    for (const auto& op : s.ops()) {
      binds += op.kind == MountOp::Kind::Bind;
      tmpfs += op.kind == MountOp::Kind::Tmpfs;
      writes += op.kind == MountOp::Kind::WriteFile;
      EXPECT_EQ(op.what.find("s3cr3t"), std::string::npos);
    }
    EXPECT_EQ(binds, 3);   // cache, context dir, secret file
    EXPECT_EQ(tmpfs, 2);   // /t and the secret staging tmpfs
    EXPECT_EQ(writes, 1);
    EXPECT_EQ(s.ops().back().kind, MountOp::Kind::Detach);
  }
  EXPECT_FALSE(fsys::exists(root / "new"));
  EXPECT_FALSE(fsys::exists(root / "run"));
  EXPECT_FALSE(fsys::exists(root / "t"));
  EXPECT_TRUE(fsys::exists(root / "existing"));
  EXPECT_TRUE(fsys::exists(root / "etc" / "keep"));
  struct stat after;
  ASSERT_EQ(::stat(root.c_str(), &after), 0);
  EXPECT_EQ(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  EXPECT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec) << "the root's mtime is put back";
  EXPECT_TRUE(fsys::is_directory(t.path() / "cache" / "run-cache" / cache_key("/new/cache"))) << "caches persist";
  EXPECT_TRUE(fsys::is_empty(t.path() / "scratch" / "run-mounts"));
}

TEST(MountSession, KeepsFilesTheCommandAddedNextToAStub) {
  TempDir t;
  MountEnv env = env_in(t, "line 1");
  const fsys::path& root = env.root;
  {
    MountSession s(plan({"type=tmpfs,target=/a/b"}), env);
    std::ofstream(root / "a" / "output") << "made by the RUN";
  }
  EXPECT_FALSE(fsys::exists(root / "a" / "b"));
  EXPECT_TRUE(fsys::exists(root / "a" / "output"));
}

TEST(MountSession, ErrorsNameTheMount) {
  TempDir t;
  MountEnv env = env_in(t, "line 7");
  const fsys::path& root = env.root;
  fsys::create_directories(root / "dir");
  std::ofstream(root / "file") << "x";
  fsys::create_directories(t.path() / "ctx");
  std::string e = error_of([&] { MountSession s(plan({"source=nope,target=/x"}), env); });
  EXPECT_NE(e.find("line 7: --mount=source=nope,target=/x: source nope not found in the build context"),
            std::string::npos)
      << e;
  EXPECT_FALSE(fsys::exists(root / "x"));
  e = error_of([&] { MountSession s(plan({"type=tmpfs,target=/file"}), env); });
  EXPECT_NE(e.find("target /file exists in the image and is not a directory"), std::string::npos) << e;
  e = error_of([&] { MountSession s(plan({"source=../,target=/x"}), env); });
  EXPECT_NE(e.find("outside the build context"), std::string::npos) << e;
}

TEST(MountSession, CacheDirInsideTheImageIsNotUsed) {
  TempDir t;
  MountEnv env = env_in(t, "line 1");
  const fsys::path& root = env.root;
  env.cache_dir = root / "cache";  // not a volume: would be snapshotted
  {
    MountSession s(plan({"type=cache,target=/c"}), env);
    EXPECT_FALSE(fsys::exists(root / "cache"));
    EXPECT_TRUE(fsys::exists(t.path() / "scratch" / "run-cache" / cache_key("/c")));
  }
  kiln::fs::IgnoreList ignore({"/cache"});
  env.ignore = &ignore;
  {
    MountSession s(plan({"type=cache,target=/c"}), env);
    EXPECT_TRUE(fsys::exists(root / "cache" / "run-cache" / cache_key("/c")));
  }
}

TEST(MountSession, CacheSeedingAndPrivateSharing) {
  TempDir t;
  fsys::create_directories(t.path() / "stage" / "seed");
  std::ofstream(t.path() / "stage" / "seed" / "f") << "seeded";
  MountEnv env = env_in(t, "line 2");
  std::string asked;
  env.source_root = [&](const std::string& from) {
    asked = from;
    return t.path() / "stage";
  };
  fsys::path shared = t.path() / "cache" / "run-cache" / cache_key("c");
  {
    MountSession locked(plan({"type=cache,id=c,target=/x,from=builder,source=/seed,sharing=locked"}), env);
    EXPECT_EQ(asked, "builder");
    EXPECT_TRUE(fsys::exists(shared / "f")) << "a fresh cache is seeded from from=/source";
    // While `locked` holds the cache, a private user gets a directory of its own.
    MountSession priv(plan({"type=cache,id=c,target=/y,sharing=private"}), env);
    ASSERT_EQ(priv.ops().size(), 1u);
    EXPECT_NE(priv.ops()[0].source, shared.string());
    EXPECT_TRUE(fsys::is_empty(priv.ops()[0].source));
  }
  std::ofstream(t.path() / "stage" / "seed" / "g") << "later";
  MountSession again(plan({"type=cache,id=c,target=/x,from=builder,source=/seed"}), env);
  EXPECT_FALSE(fsys::exists(shared / "g")) << "an existing cache is not seeded again";
  EXPECT_EQ(again.ops()[0].source, shared.string());
}

TEST(MountSession, SameLockedCacheTwiceInOneRunDoesNotDeadlock) {
  TempDir t;
  MountEnv env = env_in(t);
  MountSession s(plan({"type=cache,id=c,target=/a,sharing=locked", "type=cache,id=c,target=/b,sharing=locked"}), env);
  ASSERT_EQ(s.ops().size(), 2u);
  EXPECT_EQ(s.ops()[0].source, s.ops()[1].source);
}

TEST(MountSession, LeakedMountStopsTheBuild) {
  TempDir t;
  MountEnv env = env_in(t, "line 4");
  const fsys::path& root = env.root;
  MountSession s(plan({"type=tmpfs,target=/t"}), env);
  std::string target = (root / "t").string();
  EXPECT_NO_THROW(s.check_no_leak("22 1 0:21 / / rw - ext4 /dev/sda rw\n"));
  try {
    s.check_no_leak("22 1 0:21 / / rw - ext4 /dev/sda rw\n40 22 0:50 / " + target + " rw shared:9 - tmpfs tmpfs rw\n");
    FAIL() << "no error";
  } catch (const kiln::Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 4: RUN --mount: mounts propagated"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(target), std::string::npos);
  }
}

// The child side: needs root (mount namespaces); skipped otherwise.
TEST(RunProcessMounts, TmpfsBindAndSecretExistForTheCommandOnly) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for mount namespaces";
  TempDir t;
  fsys::create_directories(t.path() / "t");
  fsys::create_directories(t.path() / "src");
  fsys::create_directories(t.path() / "dst");
  fsys::create_directories(t.path() / "stage");
  std::ofstream(t.path() / "src" / "f") << "from-src";
  std::ofstream(t.path() / "secret");
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c",
               "cat dst/f && echo x > t/new && cat t/new && cat secret && ! (echo y > dst/g) 2>/dev/null && echo ro"};
  spec.env = {"PATH=/usr/bin:/bin"};
  spec.cwd = t.path().string();
  spec.mounts.push_back({MountOp::Kind::Tmpfs, "", (t.path() / "t").string(), false, "size=65536", 0, 0, 0, "tmpfs"});
  spec.mounts.push_back(
      {MountOp::Kind::Bind, (t.path() / "src").string(), (t.path() / "dst").string(), true, "", 0, 0, 0, "bind"});
  spec.mounts.push_back({MountOp::Kind::Tmpfs, "", (t.path() / "stage").string(), false, "mode=0700", 0, 0, 0, "st"});
  spec.mounts.push_back(
      {MountOp::Kind::WriteFile, "", (t.path() / "stage" / "s").string(), false, "VALUE", 0400, 0, 0, "write"});
  spec.mounts.push_back({MountOp::Kind::Bind, (t.path() / "stage" / "s").string(), (t.path() / "secret").string(), true,
                         "", 0, 0, 0, "secret"});
  spec.mounts.push_back({MountOp::Kind::Detach, "", (t.path() / "stage").string(), false, "", 0, 0, 0, "detach"});
  kiln::log::Logger::Options lo;
  lo.out = std::tmpfile();
  kiln::log::Logger log(lo);
  EXPECT_EQ(run_process(spec, log), 0);
  std::rewind(lo.out);
  char buf[256] = {};
  std::size_t n = std::fread(buf, 1, sizeof buf - 1, lo.out);
  EXPECT_EQ(std::string(buf, n), "from-srcx\nVALUEro\n");
  std::fclose(lo.out);
  EXPECT_FALSE(fsys::exists(t.path() / "t" / "new")) << "the tmpfs was the child's only";
  EXPECT_EQ(fsys::file_size(t.path() / "secret"), 0u);
  EXPECT_TRUE(fsys::is_empty(t.path() / "stage"));
}

TEST(RunProcessMounts, FailureNamesTheMount) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for mount namespaces";
  ProcessSpec spec;
  spec.argv = {"/bin/true"};
  spec.mounts.push_back({MountOp::Kind::Bind, "/nonexistent-src", "/nonexistent-dst", true, "", 0, 0, 0,
                         "mounting --mount=target=/x at /x"});
  kiln::log::Logger::Options lo;
  lo.out = std::tmpfile();
  kiln::log::Logger log(lo);
  try {
    run_process(spec, log);
    FAIL() << "no error";
  } catch (const kiln::Error& e) {
    EXPECT_NE(std::string(e.what()).find("mounting --mount=target=/x at /x"), std::string::npos) << e.what();
  }
  std::fclose(lo.out);
}
