// Client::check_login (executor login's check) against the real
// docker-registry: Basic auth over TLS, and a registry that needs nothing.
#include <gtest/gtest.h>

#include "registry/client.h"
#include "registry/credentials.h"
#include "registry/status_error.h"
#include "registry_server.h"
#include "test_support.h"

using namespace kiln::registry;
using kiln::testing::CapturedLog;
using kiln::testing::RegistryServer;

namespace {

Keychain keychain_with(const std::string& host, const std::string& user, const std::string& pass) {
  return Keychain::parse(R"({"auths":{")" + host + R"(":{"username":")" + user + R"(","password":")" + pass + R"("}}})",
                         "login");
}

TEST(LoginCheck, BasicAuthAcceptsTheRightPasswordAndRefusesAWrongOne) {
  RegistryServer reg({.tls = true, .htpasswd_user = "kiln", .htpasswd_pass = "s3cret-pass"});
  CapturedLog log;
  Options o;
  o.ca_file.clear();
  o.registry_ca[reg.host()] = reg.ca();
  Client good(o, keychain_with(reg.host(), "kiln", "s3cret-pass"), log.logger());
  EXPECT_TRUE(good.check_login(reg.host()));
  Client bad(o, keychain_with(reg.host(), "kiln", "wrong-Passw0rd"), log.logger());
  try {
    bad.check_login(reg.host());
    FAIL() << "expected 401";
  } catch (const StatusError& e) {
    EXPECT_EQ(e.status(), 401);
    EXPECT_NE(std::string(e.what()).find(reg.host()), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("wrong-Passw0rd"), std::string::npos) << e.what();
  }
  EXPECT_EQ(log.text().find("s3cret-pass"), std::string::npos);
}

TEST(LoginCheck, ARegistryWithoutAuthHasNothingToCheck) {
  RegistryServer reg({});
  CapturedLog log;
  Options o;
  o.ca_file.clear();
  Client c(o, keychain_with(reg.host(), "any", "thing"), log.logger());
  EXPECT_FALSE(c.check_login(reg.host()));
}

}  // namespace
