#pragma once
// AWS Signature Version 4 (the header form), as a pure function of the
// request, the credentials and the time. S3, STS and every S3-compatible store
// check requests this way.
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::objstore {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials only (x-amz-security-token)
  bool empty() const { return access_key_id.empty(); }
};

struct SigV4Request {
  std::string method = "GET";
  std::string canonical_uri = "/";  // the path as sent, already percent-encoded
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // every signed header, host included
  std::string payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct SigV4Scope {
  std::string amz_date;  // "20150830T123600Z"
  std::string region;    // "us-east-1"
  std::string service;   // "s3"
};

// Each step of the algorithm is exposed so tests can compare it with AWS's
// published intermediate values, not only the final signature.
std::string canonical_request(const SigV4Request& req);
std::string signed_headers(const SigV4Request& req);  // "host;x-amz-date"
std::string credential_scope(const SigV4Scope& scope);  // "20150830/us-east-1/service/aws4_request"
std::string string_to_sign(std::string_view canonical_request, const SigV4Scope& scope);
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);  // raw bytes
std::string signature(const SigV4Request& req, const SigV4Scope& scope, std::string_view secret);  // hex
// The Authorization header's value.
std::string authorization(const SigV4Request& req, const SigV4Scope& scope, const AwsCredentials& creds);

// "YYYYMMDDTHHMMSSZ" in UTC.
std::string amz_date(std::time_t t);

}  // namespace kiln::objstore
