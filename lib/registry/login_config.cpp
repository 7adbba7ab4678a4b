#include "registry/login_config.h"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "registry/base64.h"
#include "registry/credentials.h"
#include "registry/reference.h"

namespace kiln::registry {

std::string login_config_key(std::string_view registry) {
  std::string host = normalise_registry_key(registry);
  if (host == kDockerHub) return "https://index.docker.io/v1/";
  return host;
}

LoginUpdate add_login(std::string_view existing, const std::string& origin, const std::string& key,
                      const std::string& username, const std::string& password) {
  nlohmann::json j = nlohmann::json::object();
  if (existing.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    try {
      j = nlohmann::json::parse(existing);
    } catch (const nlohmann::json::parse_error& e) {
      throw UsageError(origin + ": malformed JSON near byte " + std::to_string(e.byte) +
                       "; fix or remove it before logging in");
    } catch (const nlohmann::json::exception&) {
      // Out-of-range numbers and the like: the message would quote the
      // file's contents, which may hold credentials.
      throw UsageError(origin + ": unreadable JSON; fix or remove it before logging in");
    }
    if (!j.is_object()) throw UsageError(origin + ": not a JSON object; fix or remove it before logging in");
  }
  LoginUpdate out;
  std::string host = normalise_registry_key(key);
  auto& auths = j["auths"];
  if (!auths.is_object()) auths = nlohmann::json::object();
  std::vector<std::string> stale;
  for (const auto& [k, v] : auths.items())
    if (k != key && normalise_registry_key(k) == host) stale.push_back(k);
  for (const auto& k : stale) auths.erase(k);
  auths[key] = nlohmann::json{{"auth", base64_encode(username + ":" + password)}};

  if (auto h = j.find("credHelpers"); h != j.end() && h->is_object())
    for (const auto& [k, v] : h->items())
      if (normalise_registry_key(k) == host && v.is_string())
        out.warnings.push_back(origin + " names the credential helper docker-credential-" + v.get<std::string>() +
                               " for " + host + "; it is asked before the credentials written here");
  if (auto s = j.find("credsStore"); s != j.end() && s->is_string() && !s->get<std::string>().empty())
    out.warnings.push_back(origin + " names the credential store docker-credential-" + s->get<std::string>() +
                           "; it is asked before the credentials written here");
  out.text = j.dump(1, '\t') + "\n";
  return out;
}

}  // namespace kiln::registry
