#include "cloudcreds/google.h"

#include <ctime>

#include "cloudcreds/helper_names.h"
#include "objstore/gcp_token.h"

namespace kiln::cloudcreds {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

bool is_google_registry(std::string_view registry) {
  std::string h = host_name(registry);
  return h == "gcr.io" || ends_with(h, ".gcr.io") || ends_with(h, "-docker.pkg.dev");
}

std::optional<registry::Credential> GoogleSource::get(const std::string& host, const registry::SourceContext* ctx) {
  if (!is_google_registry(host) || !ctx) return std::nullopt;
  return cache_.get("", [&]() -> std::optional<registry::Credential> {
    auto t = objstore::gcp_token(env_, ctx->cloud_http.options(), ctx->log, std::time(nullptr), objstore::kCloudPlatformScope);
    if (!t) return std::nullopt;
    registry::Credential c;
    c.username = "oauth2accesstoken";
    c.password = t->access_token;
    c.expires = std::chrono::system_clock::now() + std::chrono::seconds(t->expires_in);
    return c;
  });
}

}  // namespace kiln::cloudcreds
