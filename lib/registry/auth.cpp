#include "registry/auth.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "http/url.h"
#include "registry/base64.h"
#include "registry/credential_source.h"
#include "registry/status_error.h"

namespace kiln::registry {
namespace {

// The token spec's default lifetime when the server does not say.
constexpr long kDefaultTokenSeconds = 60;
// Renew this long before expiry so a token does not lapse mid-request.
constexpr long kExpiryMarginSeconds = 10;

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

}  // namespace

std::string repository_scope(const std::string& repository, const std::string& actions) {
  return "repository:" + repository + ":" + actions;
}

std::string basic_authorization(const std::string& username, const std::string& password) {
  return "Authorization: Basic " + base64_encode(username + ":" + password);
}

Authenticator::Authenticator(http::Client& http, const Keychain& keychain, log::Logger& log, http::Client* cloud)
    : http_(http), cloud_(cloud ? *cloud : http), keychain_(keychain), log_(log) {}

std::string Authenticator::cache_key(const std::string& registry, const std::vector<std::string>& scopes) {
  auto sorted = scopes;
  std::sort(sorted.begin(), sorted.end());
  return registry + " " + join(sorted, " ");
}

std::optional<Credential> Authenticator::credential(const std::string& registry) {
  {
    std::lock_guard lk(mu_);
    auto it = creds_.find(registry);
    // A helper's token a minute before it lapses counts as lapsed.
    auto soon = std::chrono::system_clock::now() + std::chrono::minutes(1);
    if (it != creds_.end() && (!it->second || it->second->expires > soon)) return it->second;
  }
  SourceContext ctx{http_, cloud_, log_};
  auto c = keychain_.lookup(registry, &ctx);
  std::lock_guard lk(mu_);
  creds_[registry] = c;
  return c;
}

void Authenticator::forget(const std::string& registry, const std::vector<std::string>& scopes) {
  std::lock_guard lk(mu_);
  tokens_.erase(cache_key(registry, scopes));
}

std::string Authenticator::authorization(const std::string& registry, const Challenge& challenge,
                                         const std::vector<std::string>& scopes) {
  if (challenge.scheme == "basic") {
    auto c = credential(registry);
    if (!c || c->username.empty()) return "";
    return basic_authorization(c->username, c->password);
  }
  if (challenge.scheme != "bearer") return "";
  auto key = cache_key(registry, scopes);
  {
    std::lock_guard lk(mu_);
    if (auto it = tokens_.find(key); it != tokens_.end() && it->second.expires > std::chrono::steady_clock::now())
      return "Authorization: Bearer " + it->second.value;
  }
  Token t = fetch_token(registry, challenge, scopes);
  std::lock_guard lk(mu_);
  tokens_[key] = t;
  return "Authorization: Bearer " + t.value;
}

Authenticator::Token Authenticator::fetch_token(const std::string& registry, const Challenge& challenge,
                                                const std::vector<std::string>& scopes) {
  auto cred = credential(registry);
  if (cred && !cred->registry_token.empty())
    return Token{cred->registry_token, std::chrono::steady_clock::time_point::max()};

  std::string realm = challenge.param("realm");
  if (realm.empty())
    throw IoError("authenticating to " + registry + ": the registry asked for a Bearer token but named no realm");
  std::string service = challenge.param("service");
  std::string realm_msg = http::url_for_message(realm);

  http::Request req;
  if (cred && !cred->identity_token.empty()) {
    // OAuth2 refresh-token grant, as docker login's identity tokens need.
    req.method = "POST";
    req.url = realm;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    req.body = "grant_type=refresh_token&client_id=kiln&service=" + http::uri_encode(service) +
               "&scope=" + http::uri_encode(join(scopes, " ")) + "&refresh_token=" + http::uri_encode(cred->identity_token);
  } else {
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    url += "service=" + http::uri_encode(service);
    for (const auto& s : scopes) url += "&scope=" + http::uri_encode(s);
    req.url = url;
    if (cred && !cred->username.empty()) req.headers.push_back(basic_authorization(cred->username, cred->password));
  }
  log_.debug("fetching a token for " + registry + " from " + realm_msg + " (" + join(scopes, " ") + ")");
  auto resp = http_.perform(req);
  if (resp.status != 200) {
    std::string msg = "authenticating to " + registry + " with token server " + realm_msg + ": " +
                      status_text(resp.status);
    if (resp.status == 401 || resp.status == 403)
      msg += cred ? ": check the credentials for " + registry + " in " + keychain_.origin()
                  : ": no credentials for " + registry + " in " + keychain_.origin();
    throw StatusError(msg, resp.status);
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(resp.body);
  } catch (const nlohmann::json::exception&) {
    throw IoError("authenticating to " + registry + ": token server " + realm_msg + " did not answer JSON");
  }
  std::string token = j.value("token", "");
  if (token.empty()) token = j.value("access_token", "");
  if (token.empty())
    throw IoError("authenticating to " + registry + ": token server " + realm_msg + " returned no token");
  long seconds = kDefaultTokenSeconds;
  if (auto e = j.find("expires_in"); e != j.end() && e->is_number()) seconds = std::max(0L, e->get<long>());
  seconds = std::max(0L, seconds - kExpiryMarginSeconds);
  return Token{token, std::chrono::steady_clock::now() + std::chrono::seconds(seconds)};
}

}  // namespace kiln::registry
