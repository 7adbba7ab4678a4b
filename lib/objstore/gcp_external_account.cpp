#include "objstore/gcp_external_account.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "http/url.h"
#include "objstore/encoding.h"

namespace kiln::objstore {
namespace {

std::string str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::string read_subject_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("external account credential_source.file " + path + ": cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

bool is_external_account(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  return str(j, "type") == "external_account";
}

ExternalAccount parse_external_account(std::string_view text, std::string_view source) {
  auto fail = [&](const std::string& why) {
    return UsageError("external account credentials " + std::string(source) + ": " + why);
  };
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (str(j, "type") != "external_account") throw fail("not an external_account file");
  ExternalAccount a;
  a.audience = str(j, "audience");
  a.subject_token_type = str(j, "subject_token_type");
  a.token_url = str(j, "token_url");
  a.impersonation_url = str(j, "service_account_impersonation_url");
  if (a.token_url.empty()) a.token_url = "https://sts.googleapis.com/v1/token";
  if (a.audience.empty() || a.subject_token_type.empty()) throw fail("audience and subject_token_type are required");
  if (!j.contains("credential_source") || !j["credential_source"].is_object())
    throw fail("no credential_source");
  const auto& cs = j["credential_source"];
  a.source_file = str(cs, "file");
  a.source_url = str(cs, "url");
  if (cs.contains("headers") && cs["headers"].is_object())
    for (const auto& [k, v] : cs["headers"].items())
      if (v.is_string()) a.source_headers.push_back(k + ": " + v.get<std::string>());
  if (cs.contains("format") && cs["format"].is_object()) {
    if (auto t = str(cs["format"], "type"); !t.empty()) a.format_type = t;
    a.subject_token_field = str(cs["format"], "subject_token_field_name");
  }
  if (a.source_file.empty() && a.source_url.empty())
    throw fail("only file- and URL-sourced subject tokens are supported (credential_source." +
               std::string(cs.contains("executable") ? "executable" : cs.contains("environment_id") ? "environment_id" : "?") +
               " is not)");
  if (a.format_type != "text" && a.format_type != "json") throw fail("format.type must be text or json");
  if (a.format_type == "json" && a.subject_token_field.empty())
    throw fail("format.type json needs subject_token_field_name");
  return a;
}

std::string subject_token(std::string_view raw, const ExternalAccount& a) {
  std::string t;
  if (a.format_type == "json") {
    auto j = nlohmann::json::parse(raw, nullptr, false);
    t = str(j, a.subject_token_field.c_str());
    if (t.empty()) throw IoError("external account: the subject token has no \"" + a.subject_token_field + "\" field");
  } else {
    t = std::string(raw);
  }
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  if (t.empty()) throw IoError("external account: the subject token is empty");
  return t;
}

std::string sts_exchange_body(const ExternalAccount& a, std::string_view subject, std::string_view scope) {
  // With impersonation STS must grant cloud-platform: the IAM call needs it.
  std::string sts_scope = a.impersonation_url.empty() ? std::string(scope) : std::string(kCloudPlatformScope);
  return "grant_type=" + uri_encode("urn:ietf:params:oauth:grant-type:token-exchange") +
         "&audience=" + uri_encode(a.audience) + "&scope=" + uri_encode(sts_scope) +
         "&requested_token_type=" + uri_encode("urn:ietf:params:oauth:token-type:access_token") +
         "&subject_token=" + uri_encode(subject) + "&subject_token_type=" + uri_encode(a.subject_token_type);
}

std::string impersonation_body(std::string_view scope) {
  return nlohmann::json{{"scope", nlohmann::json::array({std::string(scope)})}}.dump();
}

OAuthToken external_account_token(const ExternalAccount& a, std::string_view scope, http::Client& client,
                                  log::Logger& log) {
  std::string raw;
  if (!a.source_file.empty()) {
    raw = read_subject_file(a.source_file);
  } else {
    http::Request req;
    req.url = a.source_url;
    req.headers = a.source_headers;
    req.follow_redirects = false;
    auto resp = client.perform(req);
    if (resp.status != 200)
      throw IoError("external account: the subject token URL " + http::url_for_message(a.source_url) + " answered HTTP " +
                    std::to_string(resp.status));
    raw = resp.body;
  }
  std::string where = http::url_for_message(a.token_url);
  log.info("Google: exchanging a federated token at " + where);
  http::Request sts;
  sts.method = "POST";
  sts.url = a.token_url;
  sts.headers = {"Content-Type: application/x-www-form-urlencoded"};
  sts.body = sts_exchange_body(a, subject_token(raw, a), scope);
  auto resp = client.perform(sts);
  if (resp.status != 200) {
    try {
      parse_oauth_token(resp.body, where);
    } catch (const IoError& e) {
      throw IoError(std::string(e.what()) + " (HTTP " + std::to_string(resp.status) + ")");
    }
    throw IoError("OAuth token from " + where + ": HTTP " + std::to_string(resp.status));
  }
  OAuthToken federated = parse_oauth_token(resp.body, where);
  if (a.impersonation_url.empty()) return federated;

  std::string iam = http::url_for_message(a.impersonation_url);
  log.info("Google: impersonating a service account at " + iam);
  http::Request imp;
  imp.method = "POST";
  imp.url = a.impersonation_url;
  imp.headers = {"Content-Type: application/json", "Authorization: Bearer " + federated.access_token};
  imp.body = impersonation_body(scope);
  imp.follow_redirects = false;
  resp = client.perform(imp);
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  std::string token = str(j, "accessToken");
  if (resp.status != 200 || token.empty())
    throw IoError("service account impersonation at " + iam + ": HTTP " + std::to_string(resp.status) +
                  (token.empty() ? ", no accessToken" : ""));
  // expireTime is an RFC 3339 date; IAM grants an hour by default.
  return OAuthToken{token, 3600};
}

}  // namespace kiln::objstore
