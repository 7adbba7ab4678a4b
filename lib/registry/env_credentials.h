#pragma once
// The "env" credential helper of --credential-helpers: credentials for a
// registry from two environment variables named after its host,
// KANIKO_<HOST>_USER and KANIKO_<HOST>_PASSWORD, where <HOST> is the host
// (with its port) upper-cased and every character other than a letter or a
// digit turned into '_' ("registry.example.com:5000" →
// KANIKO_REGISTRY_EXAMPLE_COM_5000_USER). CI systems hand secrets to jobs as
// environment variables; this saves writing config.json by hand.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/credential_source.h"
#include "registry/credentials.h"

namespace kiln::registry {

// "KANIKO_REGISTRY_EXAMPLE_COM" for "registry.example.com".
std::string env_credential_prefix(std::string_view registry_host);

// The prefixes tried for a host, in order: its own, and for Docker Hub
// (normalised to index.docker.io) also KANIKO_DOCKER_IO, the name users write.
std::vector<std::string> env_credential_prefixes(std::string_view registry_host);

// nullopt when neither variable of any prefix is set (empty counts as unset).
// Throws kiln::UsageError naming the missing variable when only one of a pair
// is set: a half-configured secret is a mistake, not a request for anonymous
// access. Never puts a value in a message.
std::optional<Credential> env_credential(std::string_view registry_host, const EnvLookup& env);

// The helper named "env".
class EnvCredentialSource : public CredentialSource {
 public:
  explicit EnvCredentialSource(EnvLookup env) : env_(std::move(env)) {}
  const char* name() const override { return "env (KANIKO_<HOST>_USER/_PASSWORD)"; }
  std::optional<Credential> get(const std::string& host, const SourceContext*) override {
    return env_credential(host, env_);
  }

 private:
  EnvLookup env_;
};

}  // namespace kiln::registry
