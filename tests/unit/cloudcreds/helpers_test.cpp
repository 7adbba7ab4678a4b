// The pure halves of the built-in credential helpers: which hosts each one
// answers, the requests they send and the answers they read.
#include <gtest/gtest.h>

#include "../support/fake_env.h"

#include <map>
#include <optional>

#include "base/error.h"
#include "cloudcreds/acr.h"
#include "cloudcreds/ecr.h"
#include "cloudcreds/gitlab.h"
#include "cloudcreds/google.h"
#include "cloudcreds/helper_names.h"
#include "registry/base64.h"

namespace kiln::cloudcreds {
namespace {

using kiln::testing::fake_env;

std::string header(const http::Request& r, const std::string& name) {
  for (const auto& h : r.headers)
    if (h.rfind(name + ": ", 0) == 0) return h.substr(name.size() + 2);
  return "";
}

TEST(HelperNames, DefaultIsAllInKanikosOrder) {
  EXPECT_EQ(helpers_to_run({}, false), (std::vector<std::string>{"env", "google", "ecr", "acr", "gitlab"}));
}

TEST(HelperNames, EmptyValueMeansNone) { EXPECT_TRUE(helpers_to_run({}, true).empty()); }

TEST(HelperNames, AliasesAndDefault) {
  EXPECT_EQ(helpers_to_run({"default", "ecr-login", "gcr", "acr-env", "ecr"}, true),
            (std::vector<std::string>{"ecr", "google", "acr"}));
}

TEST(HelperNames, UnknownIsAnError) {
  try {
    helpers_to_run({"env", "osxkeychain"}, true);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'osxkeychain'"), std::string::npos) << e.what();
  }
}

TEST(Ecr, HostForms) {
  auto r = parse_ecr_host("123456789012.dkr.ecr.eu-west-3.amazonaws.com");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->account, "123456789012");
  EXPECT_EQ(r->region, "eu-west-3");
  EXPECT_FALSE(r->fips);
  auto cn = parse_ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn:443");
  ASSERT_TRUE(cn);
  EXPECT_EQ(cn->domain, "amazonaws.com.cn");
  auto fips = parse_ecr_host("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com");
  ASSERT_TRUE(fips);
  EXPECT_TRUE(fips->fips);
  EXPECT_TRUE(parse_ecr_host("123456789012.dkr-ecr.us-east-1.amazonaws.com"));
  EXPECT_FALSE(parse_ecr_host("12345.dkr.ecr.us-east-1.amazonaws.com"));
  EXPECT_FALSE(parse_ecr_host("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example"));
  EXPECT_FALSE(parse_ecr_host("public.ecr.aws"));
}

TEST(Ecr, Endpoints) {
  auto r = *parse_ecr_host("123456789012.dkr.ecr.eu-west-3.amazonaws.com");
  EXPECT_EQ(ecr_api_endpoint(r, fake_env({})), "https://api.ecr.eu-west-3.amazonaws.com");
  EXPECT_EQ(ecr_api_endpoint(*parse_ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn"), fake_env({})),
            "https://api.ecr.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(ecr_api_endpoint(*parse_ecr_host("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com"), fake_env({})),
            "https://ecr-fips.us-east-1.amazonaws.com");
  EXPECT_EQ(ecr_api_endpoint(r, fake_env({{"AWS_ENDPOINT_URL", "http://a"}, {"AWS_ENDPOINT_URL_ECR", "http://b"}})),
            "http://b");
}

TEST(Ecr, RequestIsSignedForEcrWithTheTarget) {
  auto r = *parse_ecr_host("123456789012.dkr.ecr.eu-west-3.amazonaws.com");
  objstore::AwsCredentials creds{"AKIDEXAMPLE", "secret", "session-tok"};
  auto req = get_authorization_token_request("https://api.ecr.eu-west-3.amazonaws.com", r, creds, 1700000000);
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.url, "https://api.ecr.eu-west-3.amazonaws.com/");
  EXPECT_EQ(req.body, R"({"registryIds":["123456789012"]})");
  EXPECT_EQ(header(req, "x-amz-target"), "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken");
  EXPECT_EQ(header(req, "content-type"), "application/x-amz-json-1.1");
  EXPECT_EQ(header(req, "x-amz-date"), "20231114T221320Z");
  EXPECT_EQ(header(req, "x-amz-security-token"), "session-tok");
  std::string auth = header(req, "Authorization");
  EXPECT_EQ(auth.rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/eu-west-3/ecr/aws4_request, "
                       "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=",
                       0),
            0u)
      << auth;
  EXPECT_EQ(auth.find("secret"), std::string::npos);
}

TEST(Ecr, ParsesTheToken) {
  std::string json = R"({"authorizationData":[{"authorizationToken":")" + registry::base64_encode("AWS:pa:ss") +
                     R"(","expiresAt":1.7E9,"proxyEndpoint":"https://x"}]})";
  auto c = parse_authorization_token(json, "ecr");
  EXPECT_EQ(c.username, "AWS");
  EXPECT_EQ(c.password, "pa:ss");
  EXPECT_EQ(std::chrono::system_clock::to_time_t(c.expires), 1700000000);
}

TEST(Ecr, ErrorQuotesTypeAndMessage) {
  try {
    parse_authorization_token(R"({"__type":"com.amazon#AccessDeniedException","message":"not authorized"})", "E");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("AccessDeniedException (not authorized)"), std::string::npos) << e.what();
  }
}

TEST(Google, Hosts) {
  EXPECT_TRUE(is_google_registry("gcr.io"));
  EXPECT_TRUE(is_google_registry("eu.gcr.io"));
  EXPECT_TRUE(is_google_registry("europe-west1-docker.pkg.dev:443"));
  EXPECT_FALSE(is_google_registry("gcr.io.evil.example"));
  EXPECT_FALSE(is_google_registry("docker.pkg.dev.example"));
}

TEST(Acr, HostsAndExchange) {
  EXPECT_TRUE(is_acr_host("myreg.azurecr.io"));
  EXPECT_TRUE(is_acr_host("myreg.azurecr.cn:443"));
  EXPECT_FALSE(is_acr_host("azurecr.io"));
  EXPECT_FALSE(is_acr_host("myreg.azurecr.io.example"));
  auto req = acr_exchange_request("myreg.azurecr.io:8443", "tenant-1", "a+b");
  EXPECT_EQ(req.url, "https://myreg.azurecr.io:8443/oauth2/exchange");
  EXPECT_EQ(req.body, "grant_type=access_token&service=myreg.azurecr.io&tenant=tenant-1&access_token=a%2Bb");
  EXPECT_EQ(parse_acr_exchange(R"({"refresh_token":"rt"})", "x"), "rt");
  EXPECT_THROW(parse_acr_exchange(R"({"errors":[]})", "x"), IoError);
}

TEST(Gitlab, RegistryAndDependencyProxy) {
  auto env = fake_env({{"CI_REGISTRY", "registry.gitlab.example.com"},
                     {"CI_REGISTRY_USER", "u"},
                     {"CI_REGISTRY_PASSWORD", "p"},
                     {"CI_JOB_TOKEN", "job"},
                     {"CI_DEPENDENCY_PROXY_SERVER", "gitlab.example.com:443"},
                     {"CI_DEPENDENCY_PROXY_USER", "du"},
                     {"CI_DEPENDENCY_PROXY_PASSWORD", "dp"}});
  auto r = gitlab_credential("registry.gitlab.example.com", env);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->username, "u");
  auto d = gitlab_credential("gitlab.example.com", env);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->password, "dp");
  EXPECT_TRUE(gitlab_credential("gitlab.example.com:443", env));
  EXPECT_FALSE(gitlab_credential("other.example.com", env));
}

TEST(Gitlab, JobTokenFallbackAndNothingOutsideAJob) {
  auto env = fake_env({{"CI_REGISTRY", "reg.example:5050"}, {"CI_JOB_TOKEN", "job"}});
  auto r = gitlab_credential("reg.example:5050", env);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->username, "gitlab-ci-token");
  EXPECT_EQ(r->password, "job");
  EXPECT_FALSE(gitlab_credential("reg.example:5050", fake_env({{"CI_REGISTRY", "reg.example:5050"}})));
  EXPECT_FALSE(gitlab_credential("reg.example:5050", fake_env({})));
}

}  // namespace
}  // namespace kiln::cloudcreds
