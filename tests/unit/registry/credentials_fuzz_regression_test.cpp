// Inputs the credentials fuzzer (tests/fuzz/credentials_fuzz.cpp) found,
// kept as regression tests; the raw inputs are in the seed corpus too.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "base/error.h"
#include "registry/credentials.h"

namespace kiln::registry {
namespace {

TEST(KeychainFuzzRegression, NumberOutOfRangeIsAUsageErrorWithoutTheText) {
  // nlohmann::json throws out_of_range (not parse_error) for a number past
  // a double's range; it escaped Keychain::parse as a foreign exception
  // quoting the token.
  for (std::string doc : {std::string("126E710"), std::string("{\"auths\":{\"r\":{\"auth\":\"x\"}},\"n\":9E999}")}) {
    try {
      Keychain::parse(doc, "/kaniko/.docker/config.json");
      ADD_FAILURE() << doc;
    } catch (const UsageError& e) {
      std::string m = e.what();
      EXPECT_NE(m.find("/kaniko/.docker/config.json"), std::string::npos) << m;
      EXPECT_EQ(m.find("E7"), std::string::npos) << m;
      EXPECT_EQ(m.find("9E999"), std::string::npos) << m;
    }
  }
}

TEST(KeychainFuzzRegression, AnEmptyHostAsksNoHelperAndMatchesNoEntry) {
  // The helpers named here do not exist: running one would throw, so a
  // quiet nullopt shows none was asked. "dTpw" is base64 of u:p.
  auto k = Keychain::parse(R"({"credsStore":"kiln-no-such-store","credHelpers":{"":"kiln-no-such-helper"},)"
                           R"("auths":{"":{"auth":"dTpw"},"https:///x":{"auth":"dTpw"}}})",
                           "config.json");
  for (const char* host : {"", "https:///", "/x"}) {
    std::optional<Credential> c;
    EXPECT_NO_THROW(c = k.lookup(host)) << host;
    EXPECT_FALSE(c.has_value()) << host;
  }
}

}  // namespace
}  // namespace kiln::registry
