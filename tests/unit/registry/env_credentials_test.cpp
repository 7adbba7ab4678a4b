#include "registry/env_credentials.h"

#include <gtest/gtest.h>

#include <map>

#include "base/error.h"
#include "registry/credentials.h"
#include "support/fake_env.h"

using namespace kiln::registry;
using kiln::testing::fake_env;

namespace {

TEST(EnvCredentials, PrefixUpperCasesAndReplacesSeparators) {
  EXPECT_EQ(env_credential_prefix("registry.example.com"), "KANIKO_REGISTRY_EXAMPLE_COM");
  EXPECT_EQ(env_credential_prefix("my-reg.example:5000"), "KANIKO_MY_REG_EXAMPLE_5000");
  EXPECT_EQ(env_credential_prefix("127.0.0.1:443"), "KANIKO_127_0_0_1_443");
  EXPECT_EQ(env_credential_prefix("[::1]:5000"), "KANIKO____1__5000");
}

TEST(EnvCredentials, DockerHubHasBothNames) {
  auto p = env_credential_prefixes("docker.io");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0], "KANIKO_INDEX_DOCKER_IO");
  EXPECT_EQ(p[1], "KANIKO_DOCKER_IO");
  EXPECT_EQ(env_credential_prefixes("Registry.Example.com").size(), 1u);
  EXPECT_EQ(env_credential_prefixes("Registry.Example.com")[0], "KANIKO_REGISTRY_EXAMPLE_COM");
}

TEST(EnvCredentials, ReadsThePairForTheHost) {
  auto env = fake_env({{"KANIKO_REGISTRY_EXAMPLE_COM_USER", "ci"},
                     {"KANIKO_REGISTRY_EXAMPLE_COM_PASSWORD", "s3cret"},
                     {"KANIKO_OTHER_EXAMPLE_COM_USER", "other"},
                     {"KANIKO_OTHER_EXAMPLE_COM_PASSWORD", "x"}});
  auto c = env_credential("registry.example.com", env);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "ci");
  EXPECT_EQ(c->password, "s3cret");
  EXPECT_FALSE(env_credential("third.example.com", env));
}

TEST(EnvCredentials, PortIsPartOfTheName) {
  auto env = fake_env({{"KANIKO_REG_5000_USER", "u"}, {"KANIKO_REG_5000_PASSWORD", "p"}});
  EXPECT_TRUE(env_credential("reg:5000", env));
  EXPECT_FALSE(env_credential("reg", env));
  EXPECT_FALSE(env_credential("reg:5001", env));
}

TEST(EnvCredentials, DockerHubShortNameWorks) {
  auto env = fake_env({{"KANIKO_DOCKER_IO_USER", "hubuser"}, {"KANIKO_DOCKER_IO_PASSWORD", "hubpass"}});
  auto c = env_credential("index.docker.io", env);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "hubuser");
}

TEST(EnvCredentials, EmptyValuesCountAsUnset) {
  EXPECT_FALSE(env_credential("reg", fake_env({{"KANIKO_REG_USER", ""}, {"KANIKO_REG_PASSWORD", ""}})));
}

TEST(EnvCredentials, HalfAPairIsAnErrorNamingTheMissingVariableNotTheValue) {
  try {
    env_credential("reg", fake_env({{"KANIKO_REG_USER", "u"}}));
    FAIL() << "expected UsageError";
  } catch (const kiln::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("KANIKO_REG_PASSWORD"), std::string::npos) << e.what();
  }
  try {
    env_credential("reg", fake_env({{"KANIKO_REG_PASSWORD", "topsecret"}}));
    FAIL() << "expected UsageError";
  } catch (const kiln::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("KANIKO_REG_USER"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("topsecret"), std::string::npos) << e.what();
  }
}

TEST(EnvCredentials, KeychainAsksConfigJsonFirstThenTheEnvironment) {
  auto k = Keychain::parse(R"({"auths":{"reg:5000":{"username":"fromfile","password":"f"}}})", "config.json");
  k.use_env_credentials(fake_env({{"KANIKO_REG_5000_USER", "fromenv"},
                                {"KANIKO_REG_5000_PASSWORD", "e"},
                                {"KANIKO_OTHER_USER", "envonly"},
                                {"KANIKO_OTHER_PASSWORD", "o"}}));
  auto a = k.lookup("reg:5000");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->username, "fromfile");
  auto b = k.lookup("other");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->username, "envonly");
  EXPECT_FALSE(k.lookup("nobody"));
  EXPECT_NE(k.origin().find("KANIKO_<HOST>_USER"), std::string::npos);
}

TEST(EnvCredentials, KeychainWithoutTheHelperIgnoresTheEnvironment) {
  auto k = Keychain::parse("{}", "config.json");
  EXPECT_FALSE(k.lookup("other"));
  EXPECT_EQ(k.origin(), "config.json");
}

}  // namespace
