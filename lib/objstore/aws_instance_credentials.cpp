#include "objstore/aws_instance_credentials.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "base/file.h"
#include "base/text.h"
#include "http/transport_error.h"
#include "http/url.h"
#include "objstore/encoding.h"

namespace kiln::objstore {
namespace {

constexpr const char* kContainerHost = "http://169.254.170.2";
constexpr const char* kImdsHost = "http://169.254.169.254";

std::string read_file_trimmed(const std::string& path, const char* variable) {
  auto text = read_file_if_present(path);
  if (!text) throw UsageError(std::string(variable) + " " + path + ": cannot be read");
  return std::string(trim(*text, " \t\r\n"));
}

}  // namespace

AwsCredentials parse_endpoint_credentials(std::string_view text, std::string_view source) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  AwsCredentials c;
  auto field = [&](const char* k) {
    return j.is_object() && j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  c.access_key_id = field("AccessKeyId");
  c.secret_access_key = field("SecretAccessKey");
  c.session_token = field("Token");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    std::string code = field("Code"), message = field("Message");
    throw IoError("AWS credentials from " + std::string(source) + ": no AccessKeyId/SecretAccessKey in the answer" +
                  (code.empty() ? std::string() : " (" + code + (message.empty() ? "" : ": " + message) + ")"));
  }
  return c;
}

std::string container_credentials_url(const GetEnv& env) {
  if (auto full = env_or_empty(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI"); !full.empty()) return full;
  if (auto rel = env_or_empty(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); !rel.empty())
    return kContainerHost + (rel[0] == '/' ? rel : "/" + rel);
  return "";
}

std::optional<AwsCredentials> container_credentials(const GetEnv& env, http::Client& client, log::Logger& log) {
  std::string url = container_credentials_url(env);
  if (url.empty()) return std::nullopt;
  http::Request req;
  req.url = url;
  req.follow_redirects = false;
  std::string token;
  if (auto f = env_or_empty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); !f.empty())
    token = read_file_trimmed(f, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  else
    token = env_or_empty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  if (!token.empty()) req.headers.push_back("Authorization: " + token);
  std::string where = http::url_for_message(url);
  log.info("AWS: credentials from the container endpoint " + where);
  auto resp = client.perform(req);
  if (resp.status != 200)
    throw IoError("AWS credentials from the container endpoint " + where + ": HTTP " + std::to_string(resp.status));
  return parse_endpoint_credentials(resp.body, "the container endpoint " + where);
}

std::optional<AwsCredentials> imds_credentials(const GetEnv& env, const http::Client::Options& base,
                                               log::Logger& log) {
  if (ascii_lower(env_or_empty(env, "AWS_EC2_METADATA_DISABLED")) == "true") return std::nullopt;
  std::string host = env_or_empty(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (host.empty()) host = kImdsHost;
  while (!host.empty() && host.back() == '/') host.pop_back();
  // Off EC2 the address does not answer: give up quickly, as the SDKs do.
  http::Client::Options o = base;
  o.connect_timeout_s = 1;
  o.low_speed_time_s = 5;
  http::Client client(o, log);
  http::Request put;
  put.method = "PUT";
  put.url = host + "/latest/api/token";
  put.headers = {"X-aws-ec2-metadata-token-ttl-seconds: 21600"};
  put.follow_redirects = false;
  http::Response resp;
  try {
    resp = client.perform(put);
  } catch (const http::TransportError&) {
    log.debug("AWS: no instance metadata service at " + host);
    return std::nullopt;
  }
  if (resp.status != 200) {
    log.debug("AWS: the instance metadata service answered " + std::to_string(resp.status) + " for a session token");
    return std::nullopt;
  }
  std::string session = "X-aws-ec2-metadata-token: " + std::string(trim(resp.body, " \t"));
  http::Request list;
  list.url = host + "/latest/meta-data/iam/security-credentials/";
  list.headers = {session};
  list.follow_redirects = false;
  resp = client.perform(list);
  std::string role(trim(std::string_view(resp.body).substr(0, resp.body.find('\n')), " \t"));
  if (resp.status != 200 || role.empty()) {
    log.debug("AWS: the instance has no IAM role (HTTP " + std::to_string(resp.status) + ")");
    return std::nullopt;
  }
  http::Request get;
  get.url = list.url + uri_encode(role);
  get.headers = {session};
  get.follow_redirects = false;
  resp = client.perform(get);
  std::string where = "the instance metadata service (role " + role + ")";
  if (resp.status != 200) throw IoError("AWS credentials from " + where + ": HTTP " + std::to_string(resp.status));
  log.info("AWS: credentials of the instance role " + role);
  return parse_endpoint_credentials(resp.body, where);
}

}  // namespace kiln::objstore
