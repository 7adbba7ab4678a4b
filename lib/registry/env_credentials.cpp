#include "registry/env_credentials.h"

#include <cctype>

#include "base/error.h"
#include "registry/reference.h"

namespace kiln::registry {

std::string env_credential_prefix(std::string_view registry_host) {
  std::string out = "KANIKO_";
  for (char c : registry_host) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) out += static_cast<char>(std::toupper(u));
    else out += '_';
  }
  return out;
}

std::vector<std::string> env_credential_prefixes(std::string_view registry_host) {
  std::string host = normalise_registry_key(registry_host);
  std::vector<std::string> out{env_credential_prefix(host)};
  if (host == kDockerHub) out.push_back(env_credential_prefix("docker.io"));
  return out;
}

std::optional<Credential> env_credential(std::string_view registry_host, const EnvLookup& env) {
  auto get = [&](const std::string& name) -> std::string {
    auto v = env(name);
    return v ? *v : std::string();
  };
  for (const auto& prefix : env_credential_prefixes(registry_host)) {
    std::string user_var = prefix + "_USER", pass_var = prefix + "_PASSWORD";
    std::string user = get(user_var), pass = get(pass_var);
    if (user.empty() && pass.empty()) continue;
    if (user.empty()) throw UsageError(pass_var + " is set but " + user_var + " is not (--credential-helpers=env)");
    if (pass.empty()) throw UsageError(user_var + " is set but " + pass_var + " is not (--credential-helpers=env)");
    Credential c;
    c.username = std::move(user);
    c.password = std::move(pass);
    return c;
  }
  return std::nullopt;
}

}  // namespace kiln::registry
