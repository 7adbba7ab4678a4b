// DOCKER_AUTH_CONFIG before config.json, then the helpers in order.
#include "cloudcreds/keychain.h"
#include "cloudcreds/helper_names.h"
#include "base/error.h"

#include <gtest/gtest.h>

#include "../support/fake_env.h"

#include <fstream>
#include <map>

#include "../support/temp_dir.h"
#include "registry/base64.h"

namespace kiln::cloudcreds {
namespace {

using kiln::testing::fake_env;

using kiln::testing::TempDir;

std::string auths(const std::string& host, const std::string& user, const std::string& pass) {
  return R"({"auths":{")" + host + R"(":{"auth":")" + registry::base64_encode(user + ":" + pass) + R"("}}})";
}

TEST(Keychain, DockerAuthConfigWinsOverTheFile) {
  TempDir d;
  std::ofstream(d.path() / "config.json") << R"({"auths":{"a.example":{"auth":")" +
                                                registry::base64_encode("file:old") + R"("},"b.example":{"auth":")" +
                                                registry::base64_encode("file:b") + R"("}}})";
  auto k = load_keychain(d.path().string(), {}, fake_env({{"DOCKER_AUTH_CONFIG", auths("a.example", "env", "new")}}));
  EXPECT_EQ(k.lookup("a.example")->username, "env");
  EXPECT_EQ(k.lookup("b.example")->username, "file");  // the file still answers the rest
  EXPECT_NE(k.origin().find("DOCKER_AUTH_CONFIG"), std::string::npos);
}

TEST(Keychain, DockerAuthConfigAloneAndMalformed) {
  TempDir d;
  auto k = load_keychain(d.path().string(), {}, fake_env({{"DOCKER_AUTH_CONFIG", auths("a.example", "u", "p")}}));
  EXPECT_EQ(k.lookup("a.example")->password, "p");
  try {
    load_keychain(d.path().string(), {}, fake_env({{"DOCKER_AUTH_CONFIG", "{not json secret-value"}}));
    FAIL();
  } catch (const UsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("DOCKER_AUTH_CONFIG"), std::string::npos);
    EXPECT_EQ(m.find("secret-value"), std::string::npos);
  }
}

TEST(Keychain, ConfigJsonBeforeHelpersAndHelpersInOrder) {
  TempDir d;
  std::ofstream(d.path() / "config.json") << auths("reg.gitlab.example", "file", "f");
  auto env = fake_env({{"CI_REGISTRY", "reg.gitlab.example"},
                     {"CI_JOB_TOKEN", "job"},
                     {"KANIKO_OTHER_EXAMPLE_USER", "ku"},
                     {"KANIKO_OTHER_EXAMPLE_PASSWORD", "kp"},
                     {"CI_DEPENDENCY_PROXY_SERVER", "other.example"},
                     {"CI_DEPENDENCY_PROXY_PASSWORD", "dp"}});
  auto k = load_keychain(d.path().string(), helpers_to_run({}, false), env);
  EXPECT_EQ(k.lookup("reg.gitlab.example")->username, "file");
  EXPECT_EQ(k.lookup("other.example")->username, "ku");  // env ranks before gitlab, as in kaniko
  auto only_gitlab = load_keychain(d.path().string(), helpers_to_run({"gitlab"}, true), env);
  EXPECT_EQ(only_gitlab.lookup("other.example")->username, "gitlab-ci-token");
  auto none = load_keychain(d.path().string(), helpers_to_run({}, true), env);
  EXPECT_FALSE(none.lookup("other.example"));
}

TEST(Keychain, CloudHelpersWithoutHttpAnswerNothing) {
  TempDir d;
  auto k = load_keychain(d.path().string(), helpers_to_run({}, false),
                         fake_env({{"AWS_ACCESS_KEY_ID", "a"}, {"AWS_SECRET_ACCESS_KEY", "s"}}));
  EXPECT_FALSE(k.lookup("123456789012.dkr.ecr.us-east-1.amazonaws.com"));
}

}  // namespace
}  // namespace kiln::cloudcreds
