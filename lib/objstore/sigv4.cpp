#include "objstore/sigv4.h"

#include <algorithm>
#include <map>

#include "base/text.h"
#include "base/utc_time.h"
#include "objstore/encoding.h"

namespace kiln::objstore {
namespace {

// Trims and collapses runs of spaces, as the canonical header rule says.
std::string canonical_value(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Sorted by lower-case name; repeated names join their values with commas.
std::map<std::string, std::string> canonical_headers(const SigV4Request& req) {
  std::map<std::string, std::string> h;
  for (const auto& [name, value] : req.headers) {
    auto& slot = h[ascii_lower(name)];
    if (!slot.empty()) slot += ',';
    slot += canonical_value(value);
  }
  return h;
}

}  // namespace

std::string signed_headers(const SigV4Request& req) {
  std::string out;
  for (const auto& [name, _] : canonical_headers(req)) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string canonical_request(const SigV4Request& req) {
  std::vector<std::pair<std::string, std::string>> q;
  for (const auto& [n, v] : req.query) q.emplace_back(uri_encode(n), uri_encode(v));
  std::sort(q.begin(), q.end());
  std::string query;
  for (const auto& [n, v] : q) {
    if (!query.empty()) query += '&';
    query += n + "=" + v;
  }
  std::string headers;
  for (const auto& [n, v] : canonical_headers(req)) headers += n + ":" + v + "\n";
  return req.method + "\n" + (req.canonical_uri.empty() ? "/" : req.canonical_uri) + "\n" + query + "\n" + headers +
         "\n" + signed_headers(req) + "\n" + req.payload_hash;
}

std::string credential_scope(const SigV4Scope& scope) {
  return scope.amz_date.substr(0, 8) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

std::string string_to_sign(std::string_view canonical, const SigV4Scope& scope) {
  return "AWS4-HMAC-SHA256\n" + scope.amz_date + "\n" + credential_scope(scope) + "\n" + hex(sha256_raw(canonical));
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k = hmac_sha256("AWS4" + std::string(secret), date);
  k = hmac_sha256(k, region);
  k = hmac_sha256(k, service);
  return hmac_sha256(k, "aws4_request");
}

std::string signature(const SigV4Request& req, const SigV4Scope& scope, std::string_view secret) {
  std::string key = signing_key(secret, scope.amz_date.substr(0, 8), scope.region, scope.service);
  return hex(hmac_sha256(key, string_to_sign(canonical_request(req), scope)));
}

std::string authorization(const SigV4Request& req, const SigV4Scope& scope, const AwsCredentials& creds) {
  return "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + credential_scope(scope) +
         ", SignedHeaders=" + signed_headers(req) + ", Signature=" + signature(req, scope, creds.secret_access_key);
}

std::string amz_date(std::time_t t) { return utc_time(t, "%Y%m%dT%H%M%SZ"); }

}  // namespace kiln::objstore
