#include <gtest/gtest.h>

#include <map>

#include "base/error.h"
#include "cli/executor_options.h"
#include "cli/flags.h"
#include "support/fake_env.h"

using namespace kiln::cli;
using kiln::testing::fake_env;

namespace {
GetEnv no_env() {
  return [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
}
ExecutorOptions parse(std::vector<std::string> a) { return parse_executor_options(a, no_env()); }
}  // namespace

TEST(ExecutorOptions, KanikoDefaults) {
  auto o = parse({});
  EXPECT_EQ(o.dockerfile, "Dockerfile");
  EXPECT_EQ(o.context, "/workspace/");
  EXPECT_EQ(o.cache_dir, "/cache");
  EXPECT_EQ(o.cache_ttl_seconds, 336LL * 3600);
  EXPECT_TRUE(o.cache_run_layers);
  EXPECT_TRUE(o.ignore_var_run);
  EXPECT_EQ(o.snapshot_mode, "full");
  EXPECT_EQ(o.kaniko_dir, "/kaniko");
}

TEST(ExecutorOptions, SeedDroneCommandLine) {
  // The command line of the Drone seed, verbatim.
  auto o = parse({"--cache=true", "--cache-dir=/cache", "--cleanup", "--skip-tls-verify", "--skip-tls-verify-pull",
                  "--skip-tls-verify-registry", "reg.local:5000", "--dockerfile=/src/a/Dockerfile",
                  "--context=dir:///src/a", "--destination=reg.local:5000/a:1"});
  EXPECT_TRUE(o.cache);
  EXPECT_TRUE(o.cleanup);
  EXPECT_TRUE(o.skip_tls_verify);
  EXPECT_TRUE(o.skip_tls_verify_pull);
  ASSERT_EQ(o.skip_tls_verify_registries.size(), 1u);
  EXPECT_EQ(o.skip_tls_verify_registries[0], "reg.local:5000");
  EXPECT_EQ(o.context, "dir:///src/a");
  ASSERT_EQ(o.destinations.size(), 1u);
}

TEST(ExecutorOptions, ShorthandsAndSeparateValues) {
  auto o = parse({"-f", "df", "-c", "ctx", "-d", "r/a:1", "-dr/b:2", "-v", "debug"});
  EXPECT_EQ(o.dockerfile, "df");
  EXPECT_EQ(o.context, "ctx");
  EXPECT_EQ(o.destinations, (std::vector<std::string>{"r/a:1", "r/b:2"}));
  EXPECT_EQ(o.verbosity, "debug");
}

TEST(ExecutorOptions, CamelCaseSpellings) {
  auto a = parse({"--tarPath=/out/img.tar", "--snapshotMode", "redo", "--customPlatform=linux/arm64"});
  EXPECT_EQ(a.tar_path, "/out/img.tar");
  EXPECT_EQ(a.snapshot_mode, "redo");
  EXPECT_EQ(a.custom_platforms, (std::vector<std::string>{"linux/arm64"}));
  auto b = parse({"--tar-path", "/x.tar"});
  EXPECT_EQ(b.tar_path, "/x.tar");
}

TEST(ExecutorOptions, BoolForms) {
  EXPECT_FALSE(parse({"--cache-run-layers=false"}).cache_run_layers);
  EXPECT_TRUE(parse({"--no-push"}).no_push);
  EXPECT_FALSE(parse({"--ignore-var-run=0"}).ignore_var_run);
  EXPECT_THROW(parse({"--cache=maybe"}), kiln::UsageError);
}

TEST(ExecutorOptions, UnknownFlagIsNamed) {
  try {
    parse({"--destinaton=x"});
    FAIL();
  } catch (const kiln::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--destinaton"), std::string::npos);
  }
  EXPECT_THROW(parse({"--dockerfile"}), kiln::UsageError);
}

TEST(ExecutorOptions, KeyValueAndLists) {
  auto o = parse({"--registry-certificate", "r.io=/c.pem", "--build-arg", "A=1", "--build-arg=B",
                  "--registry-map", "index.docker.io=mirror.local;quay.io=q.local", "--credential-helpers=env,ecr"});
  EXPECT_EQ(o.registry_certificates.at("r.io"), "/c.pem");
  EXPECT_EQ(o.build_args, (std::vector<std::string>{"A=1", "B"}));
  EXPECT_EQ(o.registry_maps, (std::vector<std::string>{"index.docker.io=mirror.local", "quay.io=q.local"}));
  EXPECT_EQ(o.credential_helpers, (std::vector<std::string>{"env", "ecr"}));
  EXPECT_THROW(parse({"--registry-certificate", "nokey"}), kiln::UsageError);
}

TEST(ExecutorOptions, EnvironmentFormsAreOverriddenByFlags) {
  auto e = fake_env({{"KANIKO_NO_PUSH", "true"}, {"KANIKO_DIR", "/k2"}, {"KANIKO_REGISTRY_MIRROR", "m1;m2"}});
  auto o = parse_executor_options({}, e);
  EXPECT_TRUE(o.no_push);
  EXPECT_EQ(o.kaniko_dir, "/k2");
  EXPECT_EQ(o.registry_mirrors, (std::vector<std::string>{"m1", "m2"}));
  auto p = parse_executor_options({"--no-push=false", "--kaniko-dir=/k3"}, e);
  EXPECT_FALSE(p.no_push);
  EXPECT_EQ(p.kaniko_dir, "/k3");
}

TEST(ExecutorOptions, Validation) {
  EXPECT_THROW(validate(parse({})), kiln::UsageError);  // no destination, no --no-push
  EXPECT_NO_THROW(validate(parse({"--no-push"})));
  EXPECT_THROW(validate(parse({"--no-push", "--snapshot-mode=fast"})), kiln::UsageError);
  EXPECT_THROW(validate(parse({"--no-push", "--image-name-with-digest-file=/f"})), kiln::UsageError);
  EXPECT_THROW(validate(parse({"--no-push", "--label", "novalue"})), kiln::UsageError);
}

TEST(ExecutorOptions, DoubleDashEndsFlags) {
  auto o = parse({"--no-push", "--", "--not-a-flag"});
  EXPECT_EQ(o.positional, (std::vector<std::string>{"--not-a-flag"}));
}

TEST(ExecutorOptions, UsageMentionsEveryVisibleFlag) {
  auto u = executor_usage();
  for (const char* f : {"--dockerfile", "--tar-path", "--tarPath", "--snapshot-mode", "--cache-ttl", "--registry-mirror",
                        "--skip-tls-verify-registry", "--image-name-tag-with-digest-file"})
    EXPECT_NE(u.find(f), std::string::npos) << f;
  EXPECT_EQ(u.find("--bucket"), std::string::npos);
}

TEST(Duration, GoSyntax) {
  EXPECT_EQ(parse_duration_seconds("t", "336h0m0s"), 336LL * 3600);
  EXPECT_EQ(parse_duration_seconds("t", "1h30m"), 5400);
  EXPECT_EQ(parse_duration_seconds("t", "90s"), 90);
  EXPECT_EQ(parse_duration_seconds("t", "0"), 0);
  EXPECT_THROW(parse_duration_seconds("t", "10"), kiln::UsageError);
  EXPECT_THROW(parse_duration_seconds("t", "h"), kiln::UsageError);
}
