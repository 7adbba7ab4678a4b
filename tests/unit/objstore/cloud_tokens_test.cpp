// Pure halves of the cloud token sources the credential helpers share with
// the object-store contexts: AWS endpoint credentials, Google workload
// identity federation, Entra ID client credentials.
#include <gtest/gtest.h>

#include "../support/fake_env.h"

#include <map>
#include <optional>

#include "base/error.h"
#include "objstore/aws_instance_credentials.h"
#include "objstore/azure_entra.h"
#include "objstore/gcp_external_account.h"
#include "objstore/gcp_token.h"

namespace kiln::objstore {
namespace {

using kiln::testing::fake_env;

TEST(AwsEndpoint, ParsesContainerAndImdsAnswers) {
  auto c = parse_endpoint_credentials(
      R"({"Code":"Success","AccessKeyId":"ASIA1","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T00:00:00Z"})",
      "imds");
  EXPECT_EQ(c.access_key_id, "ASIA1");
  EXPECT_EQ(c.session_token, "t");
  try {
    parse_endpoint_credentials(R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"no"})", "imds");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("AssumeRoleUnauthorizedAccess: no"), std::string::npos) << e.what();
  }
}

TEST(AwsEndpoint, ContainerUrl) {
  EXPECT_EQ(container_credentials_url(fake_env({})), "");
  EXPECT_EQ(container_credentials_url(fake_env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds/x"}})),
            "http://169.254.170.2/v2/creds/x");
  EXPECT_EQ(container_credentials_url(fake_env({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/r"},
                                              {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials"}})),
            "http://169.254.170.23/v1/credentials");
}

constexpr const char* kFileSourced = R"({
  "type": "external_account",
  "audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/gl",
  "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
  "token_url": "https://sts.googleapis.com/v1/token",
  "credential_source": {"file": "/var/run/oidc/token"}
})";

TEST(ExternalAccount, FileSource) {
  EXPECT_TRUE(is_external_account(kFileSourced));
  auto a = parse_external_account(kFileSourced, "wif.json");
  EXPECT_EQ(a.source_file, "/var/run/oidc/token");
  EXPECT_EQ(a.format_type, "text");
  EXPECT_EQ(subject_token("tok\n", a), "tok");
  EXPECT_EQ(sts_exchange_body(a, "a.b", "https://www.googleapis.com/auth/cloud-platform"),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange"
            "&audience=%2F%2Fiam.googleapis.com%2Fprojects%2F1%2Flocations%2Fglobal%2FworkloadIdentityPools%2Fp%2Fproviders%2Fgl"
            "&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fcloud-platform"
            "&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token"
            "&subject_token=a.b&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt");
}

TEST(ExternalAccount, UrlSourceWithJsonFormatAndImpersonation) {
  auto a = parse_external_account(R"({"type":"external_account","audience":"aud","subject_token_type":"jwt",
    "service_account_impersonation_url":"https://iam/x:generateAccessToken",
    "credential_source":{"url":"http://169.254.169.254/token","headers":{"Metadata":"True"},
                         "format":{"type":"json","subject_token_field_name":"access_token"}}})",
                                  "f");
  EXPECT_EQ(a.source_url, "http://169.254.169.254/token");
  EXPECT_EQ(a.source_headers, (std::vector<std::string>{"Metadata: True"}));
  EXPECT_EQ(a.token_url, "https://sts.googleapis.com/v1/token");
  EXPECT_EQ(subject_token(R"({"access_token":"abc"})", a), "abc");
  EXPECT_THROW(subject_token(R"({"other":"abc"})", a), IoError);
  // Impersonation needs cloud-platform from STS whatever the final scope.
  EXPECT_NE(sts_exchange_body(a, "s", "https://www.googleapis.com/auth/devstorage.read_only").find("cloud-platform"),
            std::string::npos);
  EXPECT_EQ(impersonation_body("sc"), R"({"scope":["sc"]})");
}

TEST(ExternalAccount, ExecutableSourceIsRefusedByName) {
  try {
    parse_external_account(R"({"type":"external_account","audience":"a","subject_token_type":"t",
      "credential_source":{"executable":{"command":"/bin/x"}}})",
                           "wif.json");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("credential_source.executable"), std::string::npos) << e.what();
  }
}

TEST(Entra, SettingsAndBodies) {
  EXPECT_FALSE(entra_settings(fake_env({{"AZURE_CLIENT_ID", "c"}, {"AZURE_TENANT_ID", "t"}})));
  auto wi = entra_settings(fake_env({{"AZURE_CLIENT_ID", "c"},
                                   {"AZURE_TENANT_ID", "t"},
                                   {"AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/azure/tokens/azure-identity-token"},
                                   {"AZURE_AUTHORITY_HOST", "https://login.microsoftonline.us"}}));
  ASSERT_TRUE(wi);
  EXPECT_EQ(entra_token_url(*wi), "https://login.microsoftonline.us/t/oauth2/v2.0/token");
  EXPECT_EQ(entra_token_body(*wi, "jwt", kArmScope),
            "client_id=c&scope=https%3A%2F%2Fmanagement.azure.com%2F.default&grant_type=client_credentials"
            "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
            "&client_assertion=jwt");
  auto sec = entra_settings(fake_env({{"AZURE_CLIENT_ID", "c"}, {"AZURE_TENANT_ID", "t"}, {"AZURE_CLIENT_SECRET", "s&"}}));
  ASSERT_TRUE(sec);
  EXPECT_EQ(entra_token_url(*sec), "https://login.microsoftonline.com/t/oauth2/v2.0/token");
  EXPECT_NE(entra_token_body(*sec, "", kArmScope).find("&client_secret=s%26"), std::string::npos);
}

TEST(OAuth, LifetimeAsNumberOrString) {
  EXPECT_EQ(parse_oauth_token(R"({"access_token":"a","expires_in":3599})", "x").expires_in, 3599);
  EXPECT_EQ(parse_oauth_token(R"({"access_token":"a","expires_in":"86399"})", "x").expires_in, 86399);
  EXPECT_EQ(parse_oauth_token(R"({"access_token":"a"})", "x").expires_in, 3600);
}

}  // namespace
}  // namespace kiln::objstore
