#include "objstore/gcp_token.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file.h"
#include "http/transport_error.h"
#include "http/url.h"
#include "objstore/encoding.h"
#include "objstore/gcp_external_account.h"
#include "objstore/jwt.h"

namespace kiln::objstore {

std::string jwt_bearer_body(std::string_view assertion) {
  return "grant_type=" + uri_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
         "&assertion=" + uri_encode(assertion);
}

std::string parse_token_response(std::string_view text, std::string_view source) {
  return parse_oauth_token(text, source).access_token;
}

OAuthToken parse_oauth_token(std::string_view text, std::string_view source) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("access_token") && j["access_token"].is_string()) {
    OAuthToken t{j["access_token"].get<std::string>()};
    if (j.contains("expires_in") && j["expires_in"].is_number_integer()) t.expires_in = j["expires_in"].get<long>();
    // Entra ID sends expires_in as a string.
    if (j.contains("expires_in") && j["expires_in"].is_string()) t.expires_in = std::atol(j["expires_in"].get<std::string>().c_str());
    return t;
  }
  std::string why = "no access_token in the answer";
  if (j.is_object() && j.contains("error")) {
    why = j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump();
    if (j.contains("error_description") && j["error_description"].is_string())
      why += " (" + j["error_description"].get<std::string>() + ")";
  }
  throw IoError("OAuth token from " + std::string(source) + ": " + why);
}

std::string metadata_token_url(const GetEnv& env) {
  std::string host = env_or_empty(env, "GCE_METADATA_HOST");
  if (host.empty()) host = "metadata.google.internal";
  return "http://" + host + "/computeMetadata/v1/instance/service-accounts/default/token";
}

std::optional<std::string> gcp_access_token(const GetEnv& env, const http::Client::Options& http_options,
                                            log::Logger& log, std::time_t now) {
  auto t = gcp_token(env, http_options, log, now, kGcsReadScope);
  if (!t) return std::nullopt;
  return t->access_token;
}

std::optional<OAuthToken> gcp_token(const GetEnv& env, const http::Client::Options& http_options, log::Logger& log,
                                    std::time_t now, std::string_view scope) {
  std::string key_file = env_or_empty(env, "GOOGLE_APPLICATION_CREDENTIALS");
  if (!key_file.empty()) {
    auto text = read_file_if_present(key_file);
    if (!text) throw UsageError("GOOGLE_APPLICATION_CREDENTIALS " + key_file + ": cannot be read");
    if (is_external_account(*text)) {
      http::Client client(http_options, log);
      return external_account_token(parse_external_account(*text, key_file), scope, client, log);
    }
    ServiceAccountKey key = parse_service_account_key(*text, key_file);
    std::string assertion;
    try {
      assertion = google_jwt_assertion(key, scope, now);
    } catch (const UsageError& e) {
      throw UsageError("service account key " + key_file + ": " + e.what());
    }
    log.info("Google: exchanging a JWT for " + key.client_email + " at " + http::url_for_message(key.token_uri));
    http::Client client(http_options, log);
    http::Request req;
    req.method = "POST";
    req.url = key.token_uri;
    req.headers = {"Content-Type: application/x-www-form-urlencoded"};
    req.body = jwt_bearer_body(assertion);
    auto resp = client.perform(req);
    std::string where = http::url_for_message(key.token_uri);
    if (resp.status < 200 || resp.status >= 300) {
      try {
        parse_token_response(resp.body, where);
      } catch (const IoError& e) {
        throw IoError(std::string(e.what()) + " (HTTP " + std::to_string(resp.status) + ", key " + key_file + ")");
      }
      throw IoError("OAuth token from " + where + ": HTTP " + std::to_string(resp.status));
    }
    return parse_oauth_token(resp.body, where);
  }

  // Off Google Cloud the metadata host does not resolve or answer: fail fast.
  http::Client::Options mo = http_options;
  mo.connect_timeout_s = 3;
  mo.low_speed_time_s = 10;
  http::Client client(mo, log);
  std::string url = metadata_token_url(env);
  http::Request req;
  req.url = url;
  req.headers = {"Metadata-Flavor: Google"};
  req.follow_redirects = false;
  try {
    auto resp = client.perform(req);
    if (resp.status == 200) {
      log.info("Google: using the metadata server's token");
      return parse_oauth_token(resp.body, http::url_for_message(url));
    }
    log.info("Google: the metadata server answered " + std::to_string(resp.status) + "; no credentials");
  } catch (const http::TransportError&) {
    log.info("Google: no GOOGLE_APPLICATION_CREDENTIALS and no metadata server; no credentials");
  }
  return std::nullopt;
}

}  // namespace kiln::objstore
