#include "objstore/aws_credentials.h"

#include <ctime>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/file.h"
#include "http/url.h"
#include "objstore/aws_instance_credentials.h"
#include "objstore/encoding.h"

namespace kiln::objstore {
namespace {

std::string decode_entities(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    static constexpr std::pair<std::string_view, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    bool done = false;
    for (const auto& [name, c] : kEntities) {
      if (s.substr(i, name.size()) == name) {
        out += c;
        i += name.size() - 1;
        done = true;
        break;
      }
    }
    if (!done) out += '&';
  }
  return out;
}

std::string read_token_file(const std::string& path) {
  auto text = read_file_if_present(path);
  if (!text) throw UsageError("AWS_WEB_IDENTITY_TOKEN_FILE " + path + ": cannot be read");
  std::string t = *text;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  if (t.empty()) throw UsageError("AWS_WEB_IDENTITY_TOKEN_FILE " + path + ": the file is empty");
  return t;
}

}  // namespace

std::string xml_text(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  auto b = xml.find(open);
  if (b == std::string_view::npos) return "";
  b += open.size();
  auto e = xml.find(close, b);
  if (e == std::string_view::npos) return "";
  return decode_entities(xml.substr(b, e - b));
}

AwsCredentials parse_assume_role_response(std::string_view xml) {
  AwsCredentials c;
  c.access_key_id = xml_text(xml, "AccessKeyId");
  c.secret_access_key = xml_text(xml, "SecretAccessKey");
  c.session_token = xml_text(xml, "SessionToken");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    std::string code = xml_text(xml, "Code");
    std::string message = xml_text(xml, "Message");
    throw IoError("STS AssumeRoleWithWebIdentity returned no credentials" +
                  (code.empty() ? std::string() : ": " + code + (message.empty() ? "" : " (" + message + ")")));
  }
  return c;
}

http::Request assume_role_with_web_identity_request(const std::string& sts_url, const std::string& role_arn,
                                                    const std::string& session_name, const std::string& token) {
  http::Request req;
  req.method = "POST";
  req.url = sts_url;
  req.headers = {"Content-Type: application/x-www-form-urlencoded", "Accept: application/xml"};
  // The call is authenticated by the token itself; STS wants it unsigned.
  req.body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + uri_encode(role_arn) +
             "&RoleSessionName=" + uri_encode(session_name) + "&WebIdentityToken=" + uri_encode(token);
  return req;
}

std::optional<AwsCredentials> find_aws_credentials(const GetEnv& env, const std::string& region, http::Client& client,
                                                   log::Logger& log) {
  AwsCredentials c;
  c.access_key_id = env_or_empty(env, "AWS_ACCESS_KEY_ID");
  c.secret_access_key = env_or_empty(env, "AWS_SECRET_ACCESS_KEY");
  c.session_token = env_or_empty(env, "AWS_SESSION_TOKEN");
  if (!c.access_key_id.empty() || !c.secret_access_key.empty()) {
    if (c.access_key_id.empty() || c.secret_access_key.empty())
      throw UsageError("AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
    log.debug("AWS: using credentials from AWS_ACCESS_KEY_ID");
    return c;
  }
  std::string token_file = env_or_empty(env, "AWS_WEB_IDENTITY_TOKEN_FILE");
  std::string role = env_or_empty(env, "AWS_ROLE_ARN");
  if (!token_file.empty() && !role.empty()) {
    std::string sts = env_or_empty(env, "AWS_ENDPOINT_URL_STS");
    if (sts.empty()) sts = env_or_empty(env, "AWS_ENDPOINT_URL");
    if (sts.empty()) sts = "https://sts." + region + ".amazonaws.com/";
    std::string session = env_or_empty(env, "AWS_ROLE_SESSION_NAME");
    if (session.empty()) session = "kiln-" + std::to_string(std::time(nullptr));
    log.info("AWS: assuming role " + role + " with the web identity token at " + http::url_for_message(sts));
    auto resp = client.perform(assume_role_with_web_identity_request(sts, role, session, read_token_file(token_file)));
    if (resp.status < 200 || resp.status >= 300) {
      std::string code = xml_text(resp.body, "Code");
      std::string message = xml_text(resp.body, "Message");
      throw IoError("STS AssumeRoleWithWebIdentity at " + http::url_for_message(sts) + " for " + role + ": HTTP " +
                    std::to_string(resp.status) +
                    (code.empty() ? std::string() : " " + code + (message.empty() ? "" : " (" + message + ")")));
    }
    return parse_assume_role_response(resp.body);
  }
  if (!token_file.empty() || !role.empty())
    log.warn("AWS: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN must both be set for web identity; ignoring them");
  if (auto ecs = container_credentials(env, client, log)) return ecs;
  return imds_credentials(env, client.options(), log);
}

AwsCredentials aws_credentials(const GetEnv& env, const std::string& region, http::Client& client, log::Logger& log) {
  if (auto c = find_aws_credentials(env, region, client, log)) return *c;
  log.info("S3: no AWS credentials found, the request goes out unsigned");
  return {};
}

}  // namespace kiln::objstore
