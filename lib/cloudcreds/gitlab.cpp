#include "cloudcreds/gitlab.h"

#include "registry/credentials.h"

namespace kiln::cloudcreds {
namespace {

// GitLab writes the dependency proxy as "host:443"; image references may
// carry the port or not.
bool same_server(const std::string& host, const std::string& server) {
  if (server.empty()) return false;
  auto norm = [](std::string s) {
    s = registry::normalise_registry_key(s);
    if (s.size() > 4 && s.compare(s.size() - 4, 4, ":443") == 0) s.resize(s.size() - 4);
    return s;
  };
  return norm(host) == norm(server);
}

std::optional<registry::Credential> pair(const objstore::GetEnv& env, const char* user_var, const char* pass_var) {
  registry::Credential c;
  c.username = objstore::env_or_empty(env, user_var);
  c.password = objstore::env_or_empty(env, pass_var);
  if (c.username.empty() || c.password.empty()) {
    c.username = "gitlab-ci-token";
    c.password = objstore::env_or_empty(env, "CI_JOB_TOKEN");
  }
  if (c.password.empty()) return std::nullopt;
  return c;
}

}  // namespace

std::optional<registry::Credential> gitlab_credential(const std::string& host, const objstore::GetEnv& env) {
  if (same_server(host, objstore::env_or_empty(env, "CI_REGISTRY")))
    return pair(env, "CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD");
  if (same_server(host, objstore::env_or_empty(env, "CI_DEPENDENCY_PROXY_SERVER")))
    return pair(env, "CI_DEPENDENCY_PROXY_USER", "CI_DEPENDENCY_PROXY_PASSWORD");
  return std::nullopt;
}

}  // namespace kiln::cloudcreds
