// The command lines of `executor login`, `executor push` and `executor manifest` (kiln's additions).
#include <gtest/gtest.h>

#include <map>

#include "base/error.h"
#include "cli/login_options.h"
#include "cli/manifest_options.h"
#include "cli/push_options.h"
#include "support/fake_env.h"

using namespace kiln::cli;
using kiln::testing::fake_env;

TEST(LoginOptions, DockerLoginShapes) {
  auto o = parse_login_options({"-u", "ci", "--password-stdin", "reg:5000"}, fake_env({}));
  EXPECT_EQ(o.username, "ci");
  EXPECT_TRUE(o.password_stdin);
  EXPECT_FALSE(o.password_set);
  EXPECT_TRUE(o.verify);
  ASSERT_EQ(o.positional.size(), 1u);
  EXPECT_EQ(o.positional[0], "reg:5000");
  EXPECT_NO_THROW(validate(o));

  auto p = parse_login_options({"--username=ci", "-p", "", "--verify=false", "--skip-tls-verify", "reg"}, fake_env({}));
  EXPECT_TRUE(p.password_set);
  EXPECT_FALSE(p.verify);
  EXPECT_TRUE(p.skip_tls_verify);
  EXPECT_NO_THROW(validate(p));  // an empty -p is caught when the password is read
}

TEST(LoginOptions, Refusals) {
  auto env = fake_env({});
  EXPECT_THROW(validate(parse_login_options({"-u", "ci", "--password-stdin"}, env)), kiln::UsageError);
  EXPECT_THROW(validate(parse_login_options({"-u", "ci", "--password-stdin", "a", "b"}, env)), kiln::UsageError);
  EXPECT_THROW(validate(parse_login_options({"--password-stdin", "reg"}, env)), kiln::UsageError);
  EXPECT_THROW(validate(parse_login_options({"-u", "ci", "reg"}, env)), kiln::UsageError);
  EXPECT_THROW(validate(parse_login_options({"-u", "ci", "-p", "x", "--password-stdin", "reg"}, env)),
               kiln::UsageError);
  EXPECT_THROW(parse_login_options({"--destination", "x"}, env), kiln::UsageError);
}

TEST(LoginOptions, KanikoDirFromTheEnvironment) {
  auto o = parse_login_options({}, fake_env({{"KANIKO_DIR", "/k"}}));
  EXPECT_EQ(o.kaniko_dir, "/k");
  EXPECT_NE(login_usage().find("--password-stdin"), std::string::npos);
}

TEST(PushOptions, DestinationsAndDigestFiles) {
  auto o = parse_push_options({"/out/app.tar", "-d", "reg/a:1", "--destination=reg/b:2", "--digest-file=/d",
                               "--image-name-with-digest-file", "/n", "--credential-helpers=env", "--push-retry=2"},
                              fake_env({}));
  EXPECT_EQ(o.destinations, (std::vector<std::string>{"reg/a:1", "reg/b:2"}));
  EXPECT_EQ(o.digest_file, "/d");
  EXPECT_EQ(o.image_name_digest_file, "/n");
  EXPECT_EQ(o.credential_helpers, (std::vector<std::string>{"env"}));
  EXPECT_EQ(o.push_retry, 2);
  ASSERT_EQ(o.positional.size(), 1u);
  EXPECT_NO_THROW(validate(o));
}

TEST(PushOptions, Refusals) {
  auto env = fake_env({});
  EXPECT_THROW(validate(parse_push_options({"-d", "reg/a:1"}, env)), kiln::UsageError);
  EXPECT_THROW(validate(parse_push_options({"x.tar"}, env)), kiln::UsageError);
  EXPECT_THROW(validate(parse_push_options({"x.tar", "y.tar", "-d", "r/a"}, env)), kiln::UsageError);
  EXPECT_THROW(validate(parse_push_options({"x.tar", "-d", "r/a", "--image-format=v1"}, env)), kiln::UsageError);
  EXPECT_NE(push_usage().find("--destination"), std::string::npos);
}

TEST(ManifestOptions, SourcesAndDestinations) {
  auto o = parse_manifest_options({"reg/app:1-amd64", "reg/app:1-arm64", "-d", "reg/app:1", "--image-format=oci",
                                   "--digest-file=/d"},
                                  fake_env({}));
  EXPECT_EQ(o.positional, (std::vector<std::string>{"reg/app:1-amd64", "reg/app:1-arm64"}));
  EXPECT_EQ(o.destinations, (std::vector<std::string>{"reg/app:1"}));
  EXPECT_EQ(o.image_format, "oci");
  EXPECT_EQ(o.digest_file, "/d");
  EXPECT_NO_THROW(validate(o));
}

TEST(ManifestOptions, Refusals) {
  auto env = fake_env({});
  EXPECT_THROW(validate(parse_manifest_options({"-d", "reg/a:1"}, env)), kiln::UsageError);  // no source
  EXPECT_THROW(validate(parse_manifest_options({"reg/a:1-amd64"}, env)), kiln::UsageError);  // no destination
  EXPECT_THROW(validate(parse_manifest_options({"r/a:x", "-d", "r/a", "--image-format=v1"}, env)), kiln::UsageError);
  std::string usage = manifest_usage();
  EXPECT_NE(usage.find("executor manifest SOURCE"), std::string::npos);
  EXPECT_NE(usage.find("manifest list"), std::string::npos);  // --image-format's own help, not push's
}
