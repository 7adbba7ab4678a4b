#include "objstore/gcs_request.h"

#include "base/error.h"
#include "objstore/encoding.h"

namespace kiln::objstore {

GcsLocation parse_gcs_location(std::string_view location) {
  auto slash = location.find('/');
  GcsLocation loc;
  loc.bucket = std::string(location.substr(0, slash));
  if (slash != std::string_view::npos) loc.object = std::string(location.substr(slash + 1));
  if (loc.bucket.empty())
    throw UsageError("context gs://" + std::string(location) + ": expected gs://bucket/path/to/context.tar.gz");
  if (loc.object.empty()) loc.object = kDefaultContextObject;
  return loc;
}

std::string gcs_media_url(const GcsLocation& loc, const GetEnv& env) {
  std::string base = env_or_empty(env, "STORAGE_EMULATOR_HOST");
  if (base.empty()) {
    base = "https://storage.googleapis.com";
  } else if (base.find("://") == std::string::npos) {
    base = "http://" + base;
  }
  while (!base.empty() && base.back() == '/') base.pop_back();
  // The object name is one path segment of the JSON API: its slashes are encoded.
  return base + "/storage/v1/b/" + uri_encode(loc.bucket) + "/o/" + uri_encode(loc.object) + "?alt=media";
}

http::Request gcs_get(const std::string& url, const std::optional<std::string>& token) {
  http::Request req;
  req.url = url;
  if (token) req.headers.push_back("Authorization: Bearer " + *token);
  return req;
}

}  // namespace kiln::objstore
