#pragma once
// JSON Web Tokens signed with RS256 (RSASSA-PKCS1-v1_5 over SHA-256), as
// Google's OAuth token endpoint takes them from a service account (RFC 7523).
#include <ctime>
#include <string>
#include <string_view>

namespace kiln::objstore {

// The fields kiln uses from a service-account JSON key file.
struct ServiceAccountKey {
  std::string client_email;
  std::string private_key;  // PEM
  std::string private_key_id;
  std::string token_uri;
};

// Throws kiln::UsageError naming `source` when the text is not a service
// account key (wrong JSON, another "type", a missing field).
ServiceAccountKey parse_service_account_key(std::string_view json, std::string_view source);

// header.claims.signature, each base64url; the JSON objects are passed whole.
// Throws kiln::UsageError when the PEM is not an RSA private key.
std::string jwt_rs256(std::string_view header_json, std::string_view claims_json, std::string_view private_key_pem);

// The assertion for the JWT-bearer grant: iss = client_email, aud = token_uri,
// valid for an hour from now.
std::string google_jwt_assertion(const ServiceAccountKey& key, std::string_view scope, std::time_t now);

}  // namespace kiln::objstore
