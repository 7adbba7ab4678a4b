#include "objstore/s3_request.h"

#include "base/error.h"
#include "http/url.h"
#include "objstore/encoding.h"

namespace kiln::objstore {
namespace {

// SHA-256 of an empty body: S3 wants x-amz-content-sha256 on every request.
constexpr const char* kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

bool truthy(const std::string& v) { return v == "true" || v == "TRUE" || v == "True" || v == "1"; }

// The Host header curl sends: the port only when it is not the scheme's default.
std::string host_header(const http::UrlParts& u) {
  http::UrlParts copy = u;
  if ((u.scheme == "https" && u.port == "443") || (u.scheme == "http" && u.port == "80")) copy.port.clear();
  return http::host_port(copy);
}

}  // namespace

S3Location parse_s3_location(std::string_view location) {
  auto slash = location.find('/');
  S3Location loc;
  loc.bucket = std::string(location.substr(0, slash));
  if (slash != std::string_view::npos) loc.key = std::string(location.substr(slash + 1));
  if (loc.bucket.empty())
    throw UsageError("context s3://" + std::string(location) + ": expected s3://bucket/path/to/context.tar.gz");
  if (loc.key.empty()) loc.key = kDefaultContextObject;
  return loc;
}

S3Settings s3_settings(const GetEnv& env) {
  S3Settings s;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto v = env_or_empty(env, name); !v.empty()) {
      s.region = v;
      break;
    }
  }
  for (const char* name : {"S3_ENDPOINT", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"}) {
    if (auto v = env_or_empty(env, name); !v.empty()) {
      s.endpoint = v;
      break;
    }
  }
  s.force_path_style = truthy(env_or_empty(env, "S3_FORCE_PATH_STYLE"));
  return s;
}

S3Target s3_target(const S3Location& loc, const S3Settings& s) {
  std::string base = s.endpoint.empty() ? "https://s3." + s.region + ".amazonaws.com" : s.endpoint;
  // An endpoint given as a bare host ("minio:9000") means HTTPS, as in the SDKs.
  if (base.find("://") == std::string::npos) base = "https://" + base;
  http::UrlParts u = http::parse_url(base);
  std::string prefix = u.path_and_query.substr(0, u.path_and_query.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  bool path_style = s.force_path_style || http::is_ip_literal(u.host) || loc.bucket.find('.') != std::string::npos;
  if (!path_style) u.host = loc.bucket + "." + u.host;
  S3Target t;
  t.host = host_header(u);
  t.canonical_uri = prefix + (path_style ? "/" + uri_encode(loc.bucket) : "") + "/" + uri_encode(loc.key, true);
  t.url = u.scheme + "://" + http::host_port(u) + t.canonical_uri;
  return t;
}

http::Request s3_get(const S3Target& t, const std::string& region, const AwsCredentials& creds, std::time_t now) {
  http::Request req;
  req.url = t.url;
  if (creds.empty()) return req;
  SigV4Request sr;
  sr.method = "GET";
  sr.canonical_uri = t.canonical_uri;
  sr.payload_hash = kEmptySha256;
  std::string date = amz_date(now);
  sr.headers = {{"host", t.host}, {"x-amz-content-sha256", kEmptySha256}, {"x-amz-date", date}};
  if (!creds.session_token.empty()) sr.headers.emplace_back("x-amz-security-token", creds.session_token);
  SigV4Scope scope{date, region, "s3"};
  for (const auto& [n, v] : sr.headers)
    if (n != "host") req.headers.push_back(n + ": " + v);
  req.headers.push_back("Authorization: " + authorization(sr, scope, creds));
  // The signature (and x-amz-security-token, a credential) is for this host
  // only: a redirect elsewhere is reported, not followed.
  req.follow_redirects = false;
  return req;
}

}  // namespace kiln::objstore
