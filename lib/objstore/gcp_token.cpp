#include "objstore/gcp_token.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "base/file.h"
#include "http/transport_error.h"
#include "http/url.h"
#include "objstore/encoding.h"
#include "objstore/jwt.h"

namespace kiln::objstore {

std::string jwt_bearer_body(std::string_view assertion) {
  return "grant_type=" + uri_encode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
         "&assertion=" + uri_encode(assertion);
}

std::string parse_token_response(std::string_view text, std::string_view source) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_object() && j.contains("access_token") && j["access_token"].is_string())
    return j["access_token"].get<std::string>();
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
  std::string key_file = env_or_empty(env, "GOOGLE_APPLICATION_CREDENTIALS");
  if (!key_file.empty()) {
    auto text = read_file_if_present(key_file);
    if (!text) throw UsageError("GOOGLE_APPLICATION_CREDENTIALS " + key_file + ": cannot be read");
    ServiceAccountKey key = parse_service_account_key(*text, key_file);
    std::string assertion;
    try {
      assertion = google_jwt_assertion(key, kGcsReadScope, now);
    } catch (const UsageError& e) {
      throw UsageError("service account key " + key_file + ": " + e.what());
    }
    log.info("GCS: exchanging a JWT for " + key.client_email + " at " + http::url_for_message(key.token_uri));
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
    return parse_token_response(resp.body, where);
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
      log.info("GCS: using the metadata server's token");
      return parse_token_response(resp.body, http::url_for_message(url));
    }
    log.info("GCS: the metadata server answered " + std::to_string(resp.status) + "; downloading anonymously");
  } catch (const http::TransportError&) {
    log.info("GCS: no GOOGLE_APPLICATION_CREDENTIALS and no metadata server; downloading anonymously");
  }
  return std::nullopt;
}

}  // namespace kiln::objstore
