#include "cmd/build_settings.h"

#include <gtest/gtest.h>

#include <map>

#include "base/error.h"
#include "context/git_source.h"
#include "image/platform.h"
#include "support/fake_env.h"
#include "support/usage_error.h"

using namespace kiln;
using kiln::testing::fake_env;
using namespace kiln::cmd;

namespace {

cli::ExecutorOptions reproducible() {
  cli::ExecutorOptions o;
  o.reproducible = true;
  return o;
}

std::string error_of(const cli::ExecutorOptions& o, const GetEnv& env = fake_env({})) {
  return kiln::testing::usage_error_of([&] { parse_build_settings(o, env); });
}

}  // namespace

TEST(EpochSeconds, WholeNonNegativeNumbersOnly) {
  EXPECT_EQ(parse_epoch_seconds("0"), 0);
  EXPECT_EQ(parse_epoch_seconds("1700000000"), 1700000000);
  for (const char* bad : {"", "12abc", "abc", "-1", "1e3", " 12", "12 ", "99999999999999999999"})
    EXPECT_EQ(parse_epoch_seconds(bad), std::nullopt) << bad;
}

TEST(BuildSettings, SourceDateEpochSetsTheLayerTimeWithReproducible) {
  auto s = parse_build_settings(reproducible(), fake_env({{"SOURCE_DATE_EPOCH", "1700000000"}}));
  EXPECT_EQ(s.layer.fixed_mtime, 1700000000);
  EXPECT_EQ(parse_build_settings(reproducible(), fake_env({})).layer.fixed_mtime, 0);
  // Without --reproducible the variable is not read at all.
  auto plain = parse_build_settings({}, fake_env({{"SOURCE_DATE_EPOCH", "junk"}}));
  EXPECT_EQ(plain.layer.fixed_mtime, std::nullopt);
}

TEST(BuildSettings, BadSourceDateEpochNamesTheVariable) {
  // Was "error building image: stoll", and "12abc" was read as 12.
  for (const char* bad : {"12abc", "soon", "-5"}) {
    std::string e = error_of(reproducible(), fake_env({{"SOURCE_DATE_EPOCH", bad}}));
    EXPECT_NE(e.find("SOURCE_DATE_EPOCH"), std::string::npos) << e;
    EXPECT_NE(e.find(bad), std::string::npos) << e;
  }
}

TEST(BuildSettings, CustomPlatform) {
  cli::ExecutorOptions o;
  o.custom_platforms = {"linux/arm64/v8"};
  auto s = parse_build_settings(o, fake_env({}));
  EXPECT_EQ(s.platform.os, "linux");
  EXPECT_EQ(s.platform.architecture, "arm64");
  EXPECT_EQ(s.platform.variant, "v8");
  ASSERT_EQ(s.platforms.size(), 1u);
  o.custom_platforms = {"arm64"};
  EXPECT_NE(error_of(o).find("--custom-platform 'arm64'"), std::string::npos) << error_of(o);
  o.custom_platforms = {"linux/amd64,/arm64"};
  EXPECT_NE(error_of(o).find("--custom-platform '/arm64'"), std::string::npos) << error_of(o);
}

TEST(BuildSettings, SeveralPlatformsInOrderEachOnce) {
  cli::ExecutorOptions o;
  o.custom_platforms = {"linux/amd64,linux/arm64", "linux/arm64/v8", "linux/s390x"};
  auto s = parse_build_settings(o, fake_env({}));
  ASSERT_EQ(s.platforms.size(), 3u);
  EXPECT_EQ(s.platforms[0].str(), "linux/amd64");
  EXPECT_EQ(s.platforms[1].str(), "linux/arm64");  // linux/arm64/v8 is the same platform
  EXPECT_EQ(s.platforms[2].str(), "linux/s390x");
  EXPECT_EQ(s.platform, s.platforms[0]);
  o.materialize = true;
  EXPECT_NE(error_of(o).find("--materialize"), std::string::npos) << error_of(o);
}

TEST(BuildSettings, DefaultPlatformIsKilnsOwn) {
  auto s = parse_build_settings(cli::ExecutorOptions{}, fake_env({}));
  ASSERT_EQ(s.platforms.size(), 1u);
  EXPECT_EQ(s.platform, image::native_platform());
}

TEST(BuildSettings, SecretsAreParsedBeforeTheBuild) {
  cli::ExecutorOptions o;
  o.secrets = {"id=npm,src=/run/npmrc", "id=tok,env=TOKEN"};
  auto s = parse_build_settings(o, fake_env({}));
  ASSERT_EQ(s.secrets.size(), 2u);
  EXPECT_EQ(s.secrets.at("npm").file, "/run/npmrc");
  EXPECT_EQ(s.secrets.at("tok").env, "TOKEN");
  o.secrets = {"src=/run/npmrc"};
  EXPECT_NE(error_of(o).find("--secret"), std::string::npos) << error_of(o);
}

TEST(BuildSettings, LabelsInOrder) {
  cli::ExecutorOptions o;
  o.labels = {"a=1", "b=x=y", "a=2", "empty="};
  auto s = parse_build_settings(o, fake_env({}));
  std::vector<std::pair<std::string, std::string>> want{{"a", "1"}, {"b", "x=y"}, {"a", "2"}, {"empty", ""}};
  EXPECT_EQ(s.labels, want);
  o.labels = {"novalue"};
  EXPECT_NE(error_of(o).find("--label 'novalue'"), std::string::npos) << error_of(o);
}

TEST(BuildSettings, CompressionAndLevel) {
  cli::ExecutorOptions o;
  o.compression = "zstd";
  o.compression_level = 19;
  auto s = parse_build_settings(o, fake_env({}));
  EXPECT_EQ(s.layer.compression, layer::Compression::Zstd);
  EXPECT_EQ(s.layer.level, 19);
  o.compression = "gzip";
  EXPECT_NE(error_of(o).find("--compression-level 19"), std::string::npos) << error_of(o);
  o.compression = "xz";
  o.compression_level = -1;
  EXPECT_NE(error_of(o).find("--compression 'xz'"), std::string::npos) << error_of(o);
}

TEST(BuildSettings, SnapshotMode) {
  cli::ExecutorOptions o;
  o.snapshot_mode = "redo";
  EXPECT_EQ(parse_build_settings(o, fake_env({})).snapshot_mode, fs::SnapshotMode::Redo);
  o.snapshot_mode = "fast";
  EXPECT_NE(error_of(o).find("--snapshot-mode"), std::string::npos) << error_of(o);
}

TEST(BuildSettings, OutputsAreParsedUpFront) {
  cli::ExecutorOptions o;
  o.destinations = {"registry.example/app:v1", "registry.example/app:latest"};
  o.image_format = "oci";
  o.annotations = {"org.opencontainers.image.source=https://x", "k=a=b"};
  o.tar_path = "/out/image.tar";
  o.digest_file = "/out/digest";
  o.push_ignore_immutable_tag_errors = true;
  auto s = parse_build_settings(o, fake_env({}));
  ASSERT_EQ(s.outputs.destinations.size(), 2u);
  EXPECT_EQ(s.outputs.destinations[0].tag, "v1");
  EXPECT_EQ(s.outputs.destination_names, o.destinations);
  EXPECT_EQ(s.outputs.format, image::ManifestFormat::Oci);
  EXPECT_EQ(s.outputs.annotations.at("k"), "a=b");
  EXPECT_TRUE(s.outputs.push);
  EXPECT_TRUE(s.outputs.push_settings.ignore_immutable_tag_errors);
  EXPECT_EQ(s.outputs.tar_path, "/out/image.tar");
  EXPECT_EQ(s.outputs.digest_files.digest_file, "/out/digest");
  o.destinations = {"Not A Reference"};
  EXPECT_NE(error_of(o).find("--destination"), std::string::npos) << error_of(o);
}

TEST(BuildSettings, CredentialHelpersAreCheckedUpFront) {
  cli::ExecutorOptions o;
  EXPECT_EQ(parse_build_settings(o, fake_env({})).credential_helpers,
            (std::vector<std::string>{"env", "google", "ecr", "acr", "gitlab"}))
      << "absent: every built-in helper, as kaniko";
  o.credential_helpers = {"ecr-login", "env"};
  o.credential_helpers_given = true;
  EXPECT_EQ(parse_build_settings(o, fake_env({})).credential_helpers, (std::vector<std::string>{"ecr", "env"}));
  o.credential_helpers = {"pass"};
  std::string e = error_of(o);
  EXPECT_NE(e.find("--credential-helpers: unknown helper 'pass'"), std::string::npos) << e;
}

TEST(BuildSettings, RetryCountsAreWholeNumbers) {
  cli::ExecutorOptions o;
  o.image_fs_extract_retry = 2;
  EXPECT_EQ(parse_build_settings(o, fake_env({})).extract_retries, 2);
  cli::ExecutorOptions extract, push, download;
  extract.image_fs_extract_retry = -1;
  push.push_retry = -1;
  download.image_download_retry = -1;
  EXPECT_NE(error_of(extract).find("invalid --image-fs-extract-retry -1"), std::string::npos) << error_of(extract);
  EXPECT_NE(error_of(push).find("invalid --push-retry -1"), std::string::npos) << error_of(push);
  EXPECT_NE(error_of(download).find("invalid --image-download-retry -1"), std::string::npos) << error_of(download);
}

TEST(BuildSettings, JobsIsZeroOrMore) {
  cli::ExecutorOptions o;
  o.jobs = 0;  // the number of cores
  EXPECT_NO_THROW(parse_build_settings(o, fake_env({})));
  o.jobs = -2;
  EXPECT_NE(error_of(o).find("invalid --jobs -2: use 0 or more"), std::string::npos) << error_of(o);
}

TEST(BuildSettings, RegistryClientCertNeedsCertAndKey) {
  cli::ExecutorOptions o;
  o.registry_client_certs = {{"reg:5000", "/certs/client.crt"}};
  std::string e = error_of(o);
  EXPECT_NE(e.find("--registry-client-cert for reg:5000"), std::string::npos) << e;
  o.registry_client_certs = {{"reg:5000", "/certs/client.crt,/certs/client.key"}};
  auto s = parse_build_settings(o, fake_env({}));
  EXPECT_EQ(s.registry.registry_client_cert.at("reg:5000").second, "/certs/client.key");
}

TEST(BuildArgValues, ValueOrTheEnvironment) {
  auto v = build_arg_values({"A=1", "B", "C", "D=x=y"}, fake_env({{"B", "from-env"}}));
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], (std::pair<std::string, std::optional<std::string>>{"A", "1"}));
  EXPECT_EQ(v[1].second, "from-env");
  EXPECT_EQ(v[2].second, std::nullopt);
  EXPECT_EQ(v[3].second, "x=y");
}

TEST(BuildSettings, GitFlagsAreCheckedBeforeTheBuild) {
  // --git is read whatever the context, so a bad depth fails at once, not
  // after the base image or a non-git context was fetched.
  cli::ExecutorOptions o;
  o.git = {"branch=dev,single-branch=true"};
  auto s = parse_build_settings(o, fake_env({}));
  EXPECT_EQ(s.git.branch, "dev");
  EXPECT_EQ(s.git.depth, 0);
  o.git = {"depth=-1"};
  EXPECT_NE(error_of(o).find("--git depth=-1"), std::string::npos) << error_of(o);
  o.git = {"depth=two"};
  EXPECT_NE(error_of(o).find("--git depth=two"), std::string::npos) << error_of(o);
  o.git = {"depth=1"};
  if (context::shallow_fetch_supported()) {
    EXPECT_EQ(parse_build_settings(o, fake_env({})).git.depth, 1);
  } else {  // the host build's Debian bookworm libgit2 1.5
    EXPECT_NE(error_of(o).find("cannot fetch shallow"), std::string::npos) << error_of(o);
  }
}
