#include "cloudcreds/acr.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "cloudcreds/helper_names.h"
#include "objstore/azure_entra.h"
#include "objstore/encoding.h"

namespace kiln::cloudcreds {

bool is_acr_host(std::string_view registry) {
  std::string h = host_name(registry);
  for (std::string_view suffix : {".azurecr.io", ".azurecr.cn", ".azurecr.us"})
    if (h.size() > suffix.size() && h.compare(h.size() - suffix.size(), suffix.size(), suffix) == 0) return true;
  return false;
}

http::Request acr_exchange_request(const std::string& registry, const std::string& tenant,
                                   const std::string& access_token) {
  http::Request req;
  req.method = "POST";
  req.url = "https://" + registry + "/oauth2/exchange";
  req.headers = {"Content-Type: application/x-www-form-urlencoded"};
  req.body = "grant_type=access_token&service=" + objstore::uri_encode(host_name(registry)) +
             "&tenant=" + objstore::uri_encode(tenant) + "&access_token=" + objstore::uri_encode(access_token);
  req.follow_redirects = false;
  return req;
}

std::string parse_acr_exchange(std::string_view text, std::string_view source) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("refresh_token") && j["refresh_token"].is_string() &&
      !j["refresh_token"].get<std::string>().empty())
    return j["refresh_token"].get<std::string>();
  std::string why = "no refresh_token in the answer";
  if (j.is_object() && j.contains("errors")) why = j["errors"].dump();
  if (j.is_object() && j.contains("error") && j["error"].is_string()) why = j["error"].get<std::string>();
  throw IoError("ACR token exchange at " + std::string(source) + ": " + why);
}

std::optional<registry::Credential> AcrSource::get(const std::string& host, const registry::SourceContext* ctx) {
  if (!is_acr_host(host) || !ctx) return std::nullopt;
  return cache_.get(host, [&]() -> std::optional<registry::Credential> {
    auto settings = objstore::entra_settings(env_);
    if (!settings) {
      ctx->log.debug("acr: no AZURE_CLIENT_ID/AZURE_TENANT_ID with a federated token or secret for " + host);
      return std::nullopt;
    }
    auto aad = objstore::entra_token(*settings, objstore::kArmScope, ctx->cloud_http, ctx->log);
    std::string where = "https://" + host + "/oauth2/exchange";
    ctx->log.info("acr: exchanging the Entra ID token at " + where);
    auto resp = ctx->registry_http.perform(acr_exchange_request(host, settings->tenant, aad.access_token));
    if (resp.status != 200) {
      std::string detail;
      try {
        parse_acr_exchange(resp.body, where);
      } catch (const IoError& e) {
        detail = std::string(": ") + e.what();
      }
      throw IoError("ACR token exchange at " + where + ": HTTP " + std::to_string(resp.status) + detail);
    }
    registry::Credential c;
    c.username = kAcrTokenUser;
    c.password = parse_acr_exchange(resp.body, where);
    c.expires = std::chrono::system_clock::now() + std::chrono::seconds(aad.expires_in);
    return c;
  });
}

}  // namespace kiln::cloudcreds
