#include "cloudcreds/ecr.h"

#include <nlohmann/json.hpp>
#include <regex>

#include "base/error.h"
#include "cloudcreds/helper_names.h"
#include "http/url.h"
#include "objstore/aws_credentials.h"
#include "objstore/encoding.h"
#include "registry/base64.h"

namespace kiln::cloudcreds {
namespace {

constexpr const char* kTarget = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";

}  // namespace

std::optional<EcrRegistry> parse_ecr_host(std::string_view registry) {
  static const std::regex re(
      R"(^(\d{12})\.dkr[.-]ecr(-fips)?\.([a-z0-9][a-z0-9_-]*)\.(amazonaws\.com(\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$)");
  std::string host = host_name(registry);
  std::smatch m;
  if (!std::regex_match(host, m, re)) return std::nullopt;
  return EcrRegistry{m[1], m[3], m[2].matched, m[4]};
}

std::string ecr_api_endpoint(const EcrRegistry& r, const objstore::GetEnv& env) {
  for (const char* name : {"AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL"})
    if (auto v = objstore::env_or_empty(env, name); !v.empty()) return v;
  if (r.fips) return "https://ecr-fips." + r.region + "." + r.domain;
  return "https://api.ecr." + r.region + "." + r.domain;
}

http::Request get_authorization_token_request(const std::string& endpoint, const EcrRegistry& r,
                                              const objstore::AwsCredentials& creds, std::time_t now) {
  http::UrlParts u = http::parse_url(endpoint);
  std::string path = u.path_and_query.substr(0, u.path_and_query.find('?'));
  if (path.empty()) path = "/";
  http::UrlParts host_only = u;
  if ((u.scheme == "https" && u.port == "443") || (u.scheme == "http" && u.port == "80")) host_only.port.clear();
  std::string host = http::host_port(host_only);

  http::Request req;
  req.method = "POST";
  req.url = u.scheme + "://" + http::host_port(u) + path;
  req.body = nlohmann::json{{"registryIds", {r.account}}}.dump();
  req.follow_redirects = false;

  objstore::SigV4Request sr;
  sr.method = "POST";
  sr.canonical_uri = path;
  sr.payload_hash = objstore::hex(objstore::sha256_raw(req.body));
  std::string date = objstore::amz_date(now);
  sr.headers = {{"content-type", "application/x-amz-json-1.1"},
                {"host", host},
                {"x-amz-date", date},
                {"x-amz-target", kTarget}};
  if (!creds.session_token.empty()) sr.headers.emplace_back("x-amz-security-token", creds.session_token);
  for (const auto& [n, v] : sr.headers)
    if (n != "host") req.headers.push_back(n + ": " + v);
  objstore::SigV4Scope scope{date, r.region, "ecr"};
  req.headers.push_back("Authorization: " + objstore::authorization(sr, scope, creds));
  return req;
}

registry::Credential parse_authorization_token(std::string_view text, std::string_view source) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto fail = [&](const std::string& why) { return IoError("ECR GetAuthorizationToken at " + std::string(source) + ": " + why); };
  if (!j.is_object()) throw fail("the answer is not JSON");
  if (j.contains("__type")) {
    std::string type = j["__type"].is_string() ? j["__type"].get<std::string>() : "";
    type = type.substr(type.find('#') == std::string::npos ? 0 : type.find('#') + 1);
    std::string message;
    for (const char* k : {"message", "Message"})
      if (j.contains(k) && j[k].is_string()) message = j[k].get<std::string>();
    throw fail(type + (message.empty() ? "" : " (" + message + ")"));
  }
  if (!j.contains("authorizationData") || !j["authorizationData"].is_array() || j["authorizationData"].empty())
    throw fail("no authorizationData in the answer");
  const auto& d = j["authorizationData"][0];
  std::string token = d.contains("authorizationToken") && d["authorizationToken"].is_string()
                          ? d["authorizationToken"].get<std::string>()
                          : "";
  auto decoded = registry::base64_decode(token);
  auto colon = decoded ? decoded->find(':') : std::string::npos;
  if (!decoded || colon == std::string::npos) throw fail("the authorizationToken is not base64 of user:password");
  registry::Credential c;
  c.username = decoded->substr(0, colon);
  c.password = decoded->substr(colon + 1);
  if (d.contains("expiresAt") && d["expiresAt"].is_number())
    c.expires = std::chrono::system_clock::time_point(
        std::chrono::seconds(static_cast<long long>(d["expiresAt"].get<double>())));
  return c;
}

std::optional<registry::Credential> EcrSource::get(const std::string& host, const registry::SourceContext* ctx) {
  auto reg = parse_ecr_host(host);
  if (!reg || !ctx) return std::nullopt;
  return cache_.get(host, [&]() -> std::optional<registry::Credential> {
    auto creds = objstore::find_aws_credentials(env_, reg->region, ctx->cloud_http, ctx->log);
    if (!creds) {
      ctx->log.debug("ecr: no AWS credentials for " + host);
      return std::nullopt;
    }
    std::string endpoint = ecr_api_endpoint(*reg, env_);
    std::string where = http::url_for_message(endpoint);
    ctx->log.info("ecr: asking " + where + " for a token for " + host);
    auto resp = ctx->cloud_http.perform(get_authorization_token_request(endpoint, *reg, *creds, std::time(nullptr)));
    if (resp.status != 200 && resp.body.find("__type") == std::string::npos)
      throw IoError("ECR GetAuthorizationToken at " + where + " for " + host + ": HTTP " + std::to_string(resp.status));
    return parse_authorization_token(resp.body, where + " for " + host);
  });
}

}  // namespace kiln::cloudcreds
