#include "registry/login_config.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "registry/base64.h"
#include "registry/credentials.h"

using namespace kiln::registry;

namespace {

TEST(LoginConfig, KeysAsDockerLoginWritesThem) {
  EXPECT_EQ(login_config_key("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(login_config_key("index.docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(login_config_key("https://index.docker.io/v1/"), "https://index.docker.io/v1/");
  EXPECT_EQ(login_config_key("registry-1.docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(login_config_key("Reg.Example:5000"), "reg.example:5000");
  EXPECT_EQ(login_config_key("https://reg.example:5000/v2/"), "reg.example:5000");
}

TEST(LoginConfig, WritesIntoAnEmptyFile) {
  auto u = add_login("", "config.json", "reg:5000", "ci", "p:w");
  auto j = nlohmann::json::parse(u.text);
  EXPECT_EQ(j["auths"]["reg:5000"]["auth"], base64_encode("ci:p:w"));
  EXPECT_TRUE(u.warnings.empty());
  auto k = Keychain::parse(u.text, "config.json");
  auto c = k.lookup("reg:5000");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "ci");
  EXPECT_EQ(c->password, "p:w");
}

TEST(LoginConfig, KeepsEverythingElse) {
  std::string old = R"({"auths":{"other:443":{"auth":"b3RoZXI6eA=="},"reg:5000":{"auth":"b2xkOm9sZA==","email":"x"}},
                       "credHelpers":{"gcr.io":"gcr"},"proxies":{"default":{"httpProxy":"http://p"}},"x":1})";
  auto u = add_login(old, "config.json", "reg:5000", "new", "pw");
  auto j = nlohmann::json::parse(u.text);
  EXPECT_EQ(j["auths"]["other:443"]["auth"], "b3RoZXI6eA==");
  EXPECT_EQ(j["auths"]["reg:5000"], (nlohmann::json{{"auth", base64_encode("new:pw")}}));
  EXPECT_EQ(j["credHelpers"]["gcr.io"], "gcr");
  EXPECT_EQ(j["proxies"]["default"]["httpProxy"], "http://p");
  EXPECT_EQ(j["x"], 1);
  EXPECT_TRUE(u.warnings.empty());
}

TEST(LoginConfig, DropsOtherSpellingsOfTheSameRegistry) {
  std::string old = R"({"auths":{"docker.io":{"auth":"b2xkOm9sZA=="},"https://reg:5000":{"auth":"b2xkOm9sZA=="}}})";
  auto u = add_login(old, "config.json", "https://index.docker.io/v1/", "hub", "pw");
  auto j = nlohmann::json::parse(u.text);
  EXPECT_FALSE(j["auths"].contains("docker.io"));
  EXPECT_TRUE(j["auths"].contains("https://reg:5000"));
  auto c = Keychain::parse(u.text, "config.json").lookup("docker.io");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "hub");
}

TEST(LoginConfig, WarnsWhenAHelperIsAskedFirst) {
  auto u = add_login(R"({"credHelpers":{"reg:5000":"pass"}})", "config.json", "reg:5000", "u", "p");
  ASSERT_EQ(u.warnings.size(), 1u);
  EXPECT_NE(u.warnings[0].find("docker-credential-pass"), std::string::npos);
  auto s = add_login(R"({"credsStore":"desktop"})", "config.json", "reg:5000", "u", "p");
  ASSERT_EQ(s.warnings.size(), 1u);
}

TEST(LoginConfig, MalformedFileIsRefusedWithoutQuotingIt) {
  try {
    add_login(R"({"auths":{"reg":{"auth":"c2VjcmV0"}})", "/k/config.json", "reg", "u", "p");
    FAIL();
  } catch (const kiln::UsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("/k/config.json"), std::string::npos) << m;
    EXPECT_EQ(m.find("c2VjcmV0"), std::string::npos) << m;
  }
  EXPECT_THROW(add_login("[1,2]", "c", "reg", "u", "p"), kiln::UsageError);
}

}  // namespace
