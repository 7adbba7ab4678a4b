#include "objstore/azure_entra.h"

#include "base/error.h"
#include "base/file.h"
#include "base/text.h"
#include "http/url.h"
#include "objstore/encoding.h"

namespace kiln::objstore {

std::optional<EntraSettings> entra_settings(const GetEnv& env) {
  EntraSettings s;
  s.tenant = env_or_empty(env, "AZURE_TENANT_ID");
  s.client_id = env_or_empty(env, "AZURE_CLIENT_ID");
  s.federated_token_file = env_or_empty(env, "AZURE_FEDERATED_TOKEN_FILE");
  s.client_secret = env_or_empty(env, "AZURE_CLIENT_SECRET");
  if (s.tenant.empty() || s.client_id.empty() || (s.federated_token_file.empty() && s.client_secret.empty()))
    return std::nullopt;
  s.authority = env_or_empty(env, "AZURE_AUTHORITY_HOST");
  if (s.authority.empty()) s.authority = "https://login.microsoftonline.com/";
  if (s.authority.back() != '/') s.authority += '/';
  return s;
}

std::string entra_token_url(const EntraSettings& s) {
  return s.authority + uri_encode(s.tenant) + "/oauth2/v2.0/token";
}

std::string entra_token_body(const EntraSettings& s, std::string_view assertion, std::string_view scope) {
  std::string body = "client_id=" + uri_encode(s.client_id) + "&scope=" + uri_encode(scope) +
                     "&grant_type=client_credentials";
  if (!s.federated_token_file.empty())
    body += "&client_assertion_type=" + uri_encode("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") +
            "&client_assertion=" + uri_encode(assertion);
  else
    body += "&client_secret=" + uri_encode(s.client_secret);
  return body;
}

OAuthToken entra_token(const EntraSettings& s, std::string_view scope, http::Client& client, log::Logger& log) {
  std::string assertion;
  if (!s.federated_token_file.empty()) {
    auto text = read_file_if_present(s.federated_token_file);
    if (!text) throw UsageError("AZURE_FEDERATED_TOKEN_FILE " + s.federated_token_file + ": cannot be read");
    assertion = std::string(trim(*text, " \t\r\n"));
  }
  std::string url = entra_token_url(s);
  std::string where = http::url_for_message(url);
  log.info(std::string("Azure: ") + (assertion.empty() ? "client secret" : "workload identity") + " of " +
           s.client_id + " at " + where);
  http::Request req;
  req.method = "POST";
  req.url = url;
  req.headers = {"Content-Type: application/x-www-form-urlencoded"};
  req.body = entra_token_body(s, assertion, scope);
  req.follow_redirects = false;
  auto resp = client.perform(req);
  if (resp.status != 200) {
    try {
      parse_oauth_token(resp.body, where);
    } catch (const IoError& e) {
      throw IoError(std::string(e.what()) + " (HTTP " + std::to_string(resp.status) + ")");
    }
  }
  return parse_oauth_token(resp.body, where);
}

}  // namespace kiln::objstore
