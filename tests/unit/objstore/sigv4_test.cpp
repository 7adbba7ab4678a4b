// SigV4 against AWS's published examples: the "get-vanilla" case of the
// Signature Version 4 test suite, the S3 "GET object" example of the S3
// SigV4 documentation, and the signing-key derivation example.
#include "objstore/sigv4.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "base/error.h"

#include "objstore/encoding.h"
#include "objstore/s3_request.h"

namespace kiln::objstore {
namespace {

constexpr const char* kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(SigV4, GetVanillaFromTheAwsTestSuite) {
  SigV4Request req;
  req.method = "GET";
  req.canonical_uri = "/";
  req.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  req.payload_hash = kEmpty;
  SigV4Scope scope{"20150830T123600Z", "us-east-1", "service"};

  std::string creq = canonical_request(req);
  EXPECT_EQ(creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(string_to_sign(creq, scope),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  AwsCredentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  EXPECT_EQ(signature(req, scope, creds.secret_access_key),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(authorization(req, scope, creds),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4, S3GetObjectExampleFromTheS3Documentation) {
  SigV4Request req;
  req.canonical_uri = "/test.txt";
  req.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                 {"Range", "bytes=0-9"},
                 {"x-amz-content-sha256", kEmpty},
                 {"x-amz-date", "20130524T000000Z"}};
  req.payload_hash = kEmpty;
  SigV4Scope scope{"20130524T000000Z", "us-east-1", "s3"};
  std::string creq = canonical_request(req);
  EXPECT_EQ(creq, std::string("GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n") +
                      "x-amz-content-sha256:" + kEmpty + "\nx-amz-date:20130524T000000Z\n\n" +
                      "host;range;x-amz-content-sha256;x-amz-date\n" + kEmpty);
  EXPECT_EQ(string_to_sign(creq, scope),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(signature(req, scope, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, SigningKeyDerivationExample) {
  EXPECT_EQ(hex(signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, QueryIsSortedAndEncodedHeadersTrimmedAndMerged) {
  SigV4Request req;
  req.canonical_uri = "/";
  req.query = {{"Param2", "value 2"}, {"Param1", "a/b"}};
  req.headers = {{"Host", "example.amazonaws.com"}, {"My-Header1", "  a   b  "}, {"my-header1", "c"}};
  req.payload_hash = "UNSIGNED-PAYLOAD";
  EXPECT_EQ(canonical_request(req),
            "GET\n/\nParam1=a%2Fb&Param2=value%202\nhost:example.amazonaws.com\nmy-header1:a b,c\n\n"
            "host;my-header1\nUNSIGNED-PAYLOAD");
}

TEST(SigV4, AmzDateIsUtc) { EXPECT_EQ(amz_date(1440938160), "20150830T123600Z"); }

TEST(S3Request, VirtualHostOnAwsAndPathStyleWhereNeeded) {
  S3Location loc{"my-bucket", "ctx dir/context.tar.gz"};
  S3Settings aws;
  aws.region = "eu-west-1";
  auto t = s3_target(loc, aws);
  EXPECT_EQ(t.url, "https://my-bucket.s3.eu-west-1.amazonaws.com/ctx%20dir/context.tar.gz");
  EXPECT_EQ(t.host, "my-bucket.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(t.canonical_uri, "/ctx%20dir/context.tar.gz");

  S3Settings minio;
  minio.endpoint = "http://127.0.0.1:9000";
  t = s3_target(loc, minio);  // an IP literal cannot carry the bucket as a host label
  EXPECT_EQ(t.url, "http://127.0.0.1:9000/my-bucket/ctx%20dir/context.tar.gz");
  EXPECT_EQ(t.host, "127.0.0.1:9000");

  S3Settings named;
  named.endpoint = "https://storage.example.com:443/s3/";
  t = s3_target(loc, named);
  EXPECT_EQ(t.url, "https://my-bucket.storage.example.com:443/s3/ctx%20dir/context.tar.gz");
  EXPECT_EQ(t.host, "my-bucket.storage.example.com");  // curl leaves the default port out of Host
  named.force_path_style = true;
  t = s3_target(loc, named);
  EXPECT_EQ(t.url, "https://storage.example.com:443/s3/my-bucket/ctx%20dir/context.tar.gz");
  EXPECT_EQ(t.canonical_uri, "/s3/my-bucket/ctx%20dir/context.tar.gz");

  t = s3_target({"dotted.bucket", "k"}, aws);
  EXPECT_EQ(t.url, "https://s3.eu-west-1.amazonaws.com/dotted.bucket/k");
}

TEST(S3Request, SettingsFromTheEnvironment) {
  auto env = [](std::map<std::string, std::string> m) {
    return [m](std::string_view k) -> std::optional<std::string> {
      auto it = m.find(std::string(k));
      if (it == m.end()) return std::nullopt;
      return it->second;
    };
  };
  auto s = s3_settings(env({}));
  EXPECT_EQ(s.region, "us-east-1");
  EXPECT_EQ(s.endpoint, "");
  EXPECT_FALSE(s.force_path_style);
  s = s3_settings(env({{"AWS_DEFAULT_REGION", "ap-south-1"}, {"S3_ENDPOINT", "http://minio:9000"},
                       {"S3_FORCE_PATH_STYLE", "true"}}));
  EXPECT_EQ(s.region, "ap-south-1");
  EXPECT_EQ(s.endpoint, "http://minio:9000");
  EXPECT_TRUE(s.force_path_style);
  s = s3_settings(env({{"AWS_DEFAULT_REGION", "ap-south-1"}, {"AWS_REGION", "eu-central-1"}}));
  EXPECT_EQ(s.region, "eu-central-1");
}

TEST(S3Request, SignedGetCarriesTheSessionTokenAndSignsIt) {
  S3Target t{"http://127.0.0.1:9000/b/k", "127.0.0.1:9000", "/b/k"};
  AwsCredentials creds{"AKID", "SECRET", "TOKEN"};
  auto req = s3_get(t, "us-east-1", creds, 1440938160);
  EXPECT_EQ(req.url, t.url);
  EXPECT_FALSE(req.follow_redirects);  // the session token must not follow a redirect elsewhere
  std::string all;
  for (const auto& h : req.headers) all += h + "\n";
  EXPECT_NE(all.find("x-amz-security-token: TOKEN\n"), std::string::npos) << all;
  EXPECT_NE(all.find("x-amz-date: 20150830T123600Z\n"), std::string::npos) << all;
  EXPECT_NE(all.find("Authorization: AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/s3/aws4_request, "
                     "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature="),
            std::string::npos)
      << all;
  // Recomputing from the same inputs gives the same signature; another secret does not.
  SigV4Request sr;
  sr.canonical_uri = "/b/k";
  sr.payload_hash = kEmpty;
  sr.headers = {{"host", "127.0.0.1:9000"},
                {"x-amz-content-sha256", kEmpty},
                {"x-amz-date", "20150830T123600Z"},
                {"x-amz-security-token", "TOKEN"}};
  SigV4Scope scope{"20150830T123600Z", "us-east-1", "s3"};
  EXPECT_NE(all.find("Signature=" + signature(sr, scope, "SECRET")), std::string::npos);
  EXPECT_EQ(all.find("Signature=" + signature(sr, scope, "OTHER")), std::string::npos);
}

TEST(S3Request, AnonymousGetHasNoAuthorization) {
  auto req = s3_get({"https://b.s3.amazonaws.com/k", "b.s3.amazonaws.com", "/k"}, "us-east-1", {}, 0);
  EXPECT_TRUE(req.headers.empty());
}

TEST(S3Request, LocationNeedsABucketAndDefaultsTheKey) {
  EXPECT_EQ(parse_s3_location("b/dir/ctx.tar.gz").key, "dir/ctx.tar.gz");
  EXPECT_EQ(parse_s3_location("bucket-only").key, "context.tar.gz");  // kaniko's default object
  EXPECT_EQ(parse_s3_location("b/").key, "context.tar.gz");
  EXPECT_THROW(parse_s3_location("/k"), UsageError);
  EXPECT_THROW(parse_s3_location(""), UsageError);
}

}  // namespace
}  // namespace kiln::objstore
