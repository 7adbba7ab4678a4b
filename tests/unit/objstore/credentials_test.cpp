// The pure halves of credential lookup: STS and OAuth answers, request bodies.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "base/error.h"
#include "objstore/aws_credentials.h"
#include "objstore/gcp_token.h"
#include "objstore/gcs_request.h"
#include "support/fake_env.h"

namespace kiln::objstore {
using kiln::testing::fake_env;

namespace {

TEST(Sts, ParsesTemporaryCredentials) {
  std::string xml = R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <Credentials>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
      <SecretAccessKey>se/cr+et</SecretAccessKey>
      <SessionToken>tok&amp;en</SessionToken>
      <Expiration>2026-11-22T05:00:00Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)";
  auto c = parse_assume_role_response(xml);
  EXPECT_EQ(c.access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(c.secret_access_key, "se/cr+et");
  EXPECT_EQ(c.session_token, "tok&en");
}

TEST(Sts, ErrorAnswerIsQuoted) {
  std::string xml =
      "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
      "<Message>Couldn&apos;t retrieve verification key</Message></Error></ErrorResponse>";
  try {
    parse_assume_role_response(xml);
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("InvalidIdentityToken (Couldn't retrieve verification key)"),
              std::string::npos)
        << e.what();
  }
}

TEST(Sts, RequestIsAnEncodedForm) {
  auto req = assume_role_with_web_identity_request("http://127.0.0.1:1/", "arn:aws:iam::123:role/r", "s n", "a.b+c");
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123%3Arole%2Fr"
            "&RoleSessionName=s%20n&WebIdentityToken=a.b%2Bc");
}

TEST(XmlText, MissingTagIsEmpty) {
  EXPECT_EQ(xml_text("<a>x</a>", "b"), "");
  EXPECT_EQ(xml_text("<a>x", "a"), "");
  EXPECT_EQ(xml_text("<Code>NoSuchKey</Code>", "Code"), "NoSuchKey");
}

TEST(OAuth, TokenResponse) {
  EXPECT_EQ(parse_token_response(R"({"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"})", "t"),
            "ya29.x");
  try {
    parse_token_response(R"({"error":"invalid_grant","error_description":"Invalid JWT Signature."})",
                         "http://127.0.0.1:5/token");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("http://127.0.0.1:5/token: invalid_grant (Invalid JWT Signature.)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(parse_token_response("not json", "t"), IoError);
}

TEST(OAuth, JwtBearerBody) {
  EXPECT_EQ(jwt_bearer_body("h.c.s"),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=h.c.s");
}

TEST(Gcs, MediaUrlEncodesTheWholeObjectName) {
  GcsLocation loc{"my-bucket", "dir/ctx file.tar.gz"};
  EXPECT_EQ(gcs_media_url(loc, fake_env({})),
            "https://storage.googleapis.com/storage/v1/b/my-bucket/o/dir%2Fctx%20file.tar.gz?alt=media");
  EXPECT_EQ(gcs_media_url(loc, fake_env({{"STORAGE_EMULATOR_HOST", "127.0.0.1:4443"}})),
            "http://127.0.0.1:4443/storage/v1/b/my-bucket/o/dir%2Fctx%20file.tar.gz?alt=media");
  EXPECT_EQ(gcs_media_url(loc, fake_env({{"STORAGE_EMULATOR_HOST", "https://gcs.local/"}})),
            "https://gcs.local/storage/v1/b/my-bucket/o/dir%2Fctx%20file.tar.gz?alt=media");
}

TEST(Gcs, MetadataHost) {
  EXPECT_EQ(metadata_token_url(fake_env({})),
            "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token");
  EXPECT_EQ(metadata_token_url(fake_env({{"GCE_METADATA_HOST", "127.0.0.1:8080"}})),
            "http://127.0.0.1:8080/computeMetadata/v1/instance/service-accounts/default/token");
}

TEST(Gcs, LocationNeedsABucketAndDefaultsTheObject) {
  EXPECT_EQ(parse_gcs_location("b/o/x.tar.gz").object, "o/x.tar.gz");
  EXPECT_EQ(parse_gcs_location("b").object, "context.tar.gz");  // kaniko's default object
  EXPECT_EQ(parse_gcs_location("b/").object, "context.tar.gz");
  EXPECT_THROW(parse_gcs_location("/o"), UsageError);
}

TEST(Gcs, BearerOnlyWithAToken) {
  EXPECT_EQ(gcs_get("u", std::string("t")).headers, std::vector<std::string>{"Authorization: Bearer t"});
  EXPECT_TRUE(gcs_get("u", std::nullopt).headers.empty());
}

}  // namespace
}  // namespace kiln::objstore

namespace kiln::objstore {
namespace {

// The branches of aws_credentials() that need no server.
class AwsCredentialsFromEnv : public ::testing::Test {
 protected:
  log::Logger log_{log::Logger::Options{log::Level::Error}};
  http::Client client_{http::Client::Options{}, log_};
};

TEST_F(AwsCredentialsFromEnv, StaticKeysWithSessionToken) {
  auto c = aws_credentials(fake_env({{"AWS_ACCESS_KEY_ID", "AKID"},
                                   {"AWS_SECRET_ACCESS_KEY", "S"},
                                   {"AWS_SESSION_TOKEN", "T"},
                                   {"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent"},
                                   {"AWS_ROLE_ARN", "arn"}}),
                           "us-east-1", client_, log_);
  EXPECT_EQ(c.access_key_id, "AKID");
  EXPECT_EQ(c.secret_access_key, "S");
  EXPECT_EQ(c.session_token, "T");
}

TEST_F(AwsCredentialsFromEnv, HalfAKeyIsAnError) {
  EXPECT_THROW(aws_credentials(fake_env({{"AWS_ACCESS_KEY_ID", "AKID"}}), "us-east-1", client_, log_), UsageError);
  EXPECT_THROW(aws_credentials(fake_env({{"AWS_SECRET_ACCESS_KEY", "S"}}), "us-east-1", client_, log_), UsageError);
}

TEST_F(AwsCredentialsFromEnv, NothingMeansAnonymous) {
  EXPECT_TRUE(aws_credentials(fake_env({}), "us-east-1", client_, log_).empty());
  // Half a web identity configuration is ignored (with a warning), not fatal.
  EXPECT_TRUE(aws_credentials(fake_env({{"AWS_ROLE_ARN", "arn"}}), "us-east-1", client_, log_).empty());
}

TEST_F(AwsCredentialsFromEnv, UnreadableTokenFileNamesIt) {
  try {
    aws_credentials(fake_env({{"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token"}, {"AWS_ROLE_ARN", "arn"}}),
                    "us-east-1", client_, log_);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/token"), std::string::npos);
  }
}

}  // namespace
}  // namespace kiln::objstore
