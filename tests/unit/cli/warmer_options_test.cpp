// The warmer's command line: kaniko's warmer flags and shorthands (which
// differ from the executor's), and the registry flags shared with it.
#include "cli/warmer_options.h"

#include <gtest/gtest.h>

#include <map>

#include "base/error.h"
#include "cli/executor_options.h"
#include "support/fake_env.h"

using namespace kiln::cli;
using kiln::testing::fake_env;

namespace {
WarmerOptions parse(std::vector<std::string> a) { return parse_warmer_options(a, fake_env({})); }
}  // namespace

TEST(WarmerOptions, KanikoDefaults) {
  auto o = parse({});
  EXPECT_EQ(o.cache_dir, "/cache");
  EXPECT_TRUE(o.images.empty());
  EXPECT_TRUE(o.dockerfile.empty());
  EXPECT_FALSE(o.force);
  EXPECT_EQ(o.cache_ttl_seconds, 336LL * 3600);
  EXPECT_EQ(o.verbosity, "info");
  EXPECT_EQ(o.log_format, "color");
  EXPECT_EQ(o.kaniko_dir, "/kaniko");
}

TEST(WarmerOptions, KanikoShorthands) {
  auto o = parse({"-c", "/w/cache", "-i", "alpine:3", "-ibusybox@sha256:" + std::string(64, 'a'), "-d", "/src/Dockerfile",
                  "-f", "-v", "debug"});
  EXPECT_EQ(o.cache_dir, "/w/cache");
  EXPECT_EQ(o.images, (std::vector<std::string>{"alpine:3", "busybox@sha256:" + std::string(64, 'a')}));
  EXPECT_EQ(o.dockerfile, "/src/Dockerfile");
  EXPECT_TRUE(o.force);
  EXPECT_EQ(o.verbosity, "debug");
}

TEST(WarmerOptions, ShorthandsMeanOtherFlagsThanInTheExecutor) {
  // -d: the Dockerfile here, a destination in the executor; -c: cache dir
  // here, context there; -f: force here, Dockerfile there.
  auto w = parse({"-d", "x", "-c", "y", "-f"});
  auto e = parse_executor_options({"-d", "x", "-c", "y", "-f", "z"}, fake_env({}));
  EXPECT_EQ(w.dockerfile, "x");
  EXPECT_EQ(w.cache_dir, "y");
  EXPECT_TRUE(w.force);
  EXPECT_EQ(e.destinations, (std::vector<std::string>{"x"}));
  EXPECT_EQ(e.context, "y");
  EXPECT_EQ(e.dockerfile, "z");
}

TEST(WarmerOptions, LongFormsAndKanikoSpellings) {
  auto o = parse({"--cache-dir=/c", "--image=a:1", "--image", "b:2", "--dockerfile=Dockerfile.x", "--build-arg=V=1",
                  "--build-arg", "W", "--force=true", "--cache-ttl=6h", "--customPlatform=linux/arm64/v8",
                  "--log-format=json", "--log-timestamp"});
  EXPECT_EQ(o.images, (std::vector<std::string>{"a:1", "b:2"}));
  EXPECT_EQ(o.build_args, (std::vector<std::string>{"V=1", "W"}));
  EXPECT_TRUE(o.force);
  EXPECT_EQ(o.cache_ttl_seconds, 6 * 3600);
  EXPECT_EQ(o.custom_platform, "linux/arm64/v8");
  EXPECT_EQ(parse({"--custom-platform", "linux/s390x"}).custom_platform, "linux/s390x");
  EXPECT_EQ(o.log_format, "json");
  EXPECT_TRUE(o.log_timestamp);
}

TEST(WarmerOptions, RegistryFlagsAreTheExecutors) {
  auto o = parse({"--insecure-pull", "--skip-tls-verify-pull", "--insecure-registry=r1:5000",
                  "--skip-tls-verify-registry", "r2", "--registry-certificate", "r3=/ca.pem",
                  "--registry-client-cert=r4=/c.pem,/k.pem", "--registry-mirror=m1", "--registry-map=a=b;c=d",
                  "--skip-default-registry-fallback", "--image-download-retry=3", "--credential-helpers=env,ecr",
                  "--insecure", "--skip-tls-verify"});
  EXPECT_TRUE(o.insecure_pull);
  EXPECT_TRUE(o.skip_tls_verify_pull);
  EXPECT_TRUE(o.insecure);
  EXPECT_TRUE(o.skip_tls_verify);
  EXPECT_EQ(o.insecure_registries, (std::vector<std::string>{"r1:5000"}));
  EXPECT_EQ(o.skip_tls_verify_registries, (std::vector<std::string>{"r2"}));
  EXPECT_EQ(o.registry_certificates.at("r3"), "/ca.pem");
  EXPECT_EQ(o.registry_client_certs.at("r4"), "/c.pem,/k.pem");
  EXPECT_EQ(o.registry_mirrors, (std::vector<std::string>{"m1"}));
  EXPECT_EQ(o.registry_maps, (std::vector<std::string>{"a=b", "c=d"}));
  EXPECT_TRUE(o.skip_default_registry_fallback);
  EXPECT_EQ(o.image_download_retry, 3);
  EXPECT_EQ(o.credential_helpers, (std::vector<std::string>{"env", "ecr"}));
}

TEST(WarmerOptions, Environment) {
  auto o = parse_warmer_options({"--registry-mirror=m3"},
                                fake_env({{"KANIKO_REGISTRY_MIRROR", "m1;m2"}, {"KANIKO_REGISTRY_MAP", "x=y"},
                                        {"KANIKO_DIR", "/k2"}}));
  EXPECT_EQ(o.registry_mirrors, (std::vector<std::string>{"m1", "m2", "m3"}));
  EXPECT_EQ(o.registry_maps, (std::vector<std::string>{"x=y"}));
  EXPECT_EQ(o.kaniko_dir, "/k2");
}

TEST(WarmerOptions, Validation) {
  try {
    validate(parse({}));
    FAIL() << "nothing to warm was accepted";
  } catch (const kiln::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--image"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(validate(parse({"-i", "alpine"})));
  EXPECT_NO_THROW(validate(parse({"-d", "Dockerfile"})));
  EXPECT_THROW(validate(parse({"-i", "a", "--registry-map=nomap"})), kiln::UsageError);
  EXPECT_THROW(validate(parse({"-i", "a", "stray"})), kiln::UsageError);
  EXPECT_THROW(parse({"--destination=x"}), kiln::UsageError);  // an executor flag
  EXPECT_THROW(parse({"--cache-ttl=soon"}), kiln::UsageError);
}

TEST(WarmerOptions, Usage) {
  auto u = warmer_usage();
  for (const char* f : {"--cache-dir", "--image", "--dockerfile", "--build-arg", "--force", "--customPlatform",
                        "--registry-mirror", "--skip-tls-verify-pull", "--verbosity"})
    EXPECT_NE(u.find(f), std::string::npos) << f;
}
