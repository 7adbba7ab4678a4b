#pragma once
// Registry credentials from Docker's config.json, as kaniko reads them from
// $DOCKER_CONFIG (default /kaniko/.docker): "auths" entries, per-registry
// "credHelpers" and the default "credsStore" (docker-credential-<name>).
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::registry {

struct Credential {
  std::string username, password;
  std::string identity_token;  // OAuth2 refresh token ("identitytoken")
  std::string registry_token;  // a bearer token to use as is ("registrytoken")
  // When a helper's token stops working (ECR: 12 h, Google: 1 h); never for
  // config.json entries. The authenticator asks again after this.
  std::chrono::system_clock::time_point expires = std::chrono::system_clock::time_point::max();
  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
};

// How the keychain reads the environment (injected: no global state).
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

class CredentialSource;
struct SourceContext;

class Keychain {
 public:
  // Reads <docker_config_dir>/config.json. A missing file (or directory)
  // gives an empty keychain; malformed JSON throws kiln::UsageError naming
  // the file. With `env`, DOCKER_AUTH_CONFIG (a whole config.json in a
  // variable, GitLab's convention) is read first: its entries win over the
  // file's for the same registry.
  static Keychain load(const std::string& docker_config_dir, const EnvLookup& env = {});
  // From config.json text; `origin` names it in errors.
  static Keychain parse(std::string_view json, const std::string& origin);

  // The credential for a registry host ("index.docker.io", "reg:5000"), or
  // nullopt for anonymous access. May run a credential helper; throws
  // kiln::IoError when a helper fails for another reason than "not found".
  // After config.json, the sources added with add_source are asked in order.
  std::optional<Credential> lookup(std::string_view registry_host, const SourceContext* ctx = nullptr) const;

  // --credential-helpers: a built-in helper asked after config.json (auths,
  // credHelpers, credsStore) has nothing for a registry. config.json ranks
  // first because it is what `executor login` and docker write on purpose;
  // the helpers find what a CI system or a cloud offers every job.
  void add_source(std::shared_ptr<CredentialSource> source);
  // --credential-helpers=env (KANIKO_<HOST>_USER/_PASSWORD, env_credentials.h).
  void use_env_credentials(EnvLookup env);

  // The file the credentials came from, for messages ("check the
  // credentials for reg:5000 in /kaniko/.docker/config.json").
  const std::string& origin() const { return origin_; }

 private:
  // Entries of `over` replace this keychain's for the same registry.
  void overlay(const Keychain& over);

  std::string origin_;
  std::map<std::string, Credential> auths_;        // key: normalised host
  std::map<std::string, std::string> helpers_;      // host -> helper name
  std::string store_;                               // credsStore
  std::vector<std::shared_ptr<CredentialSource>> sources_;  // built-in helpers, in order
};

// "https://index.docker.io/v1/" → "index.docker.io"; "http://reg:5000/x" →
// "reg:5000"; "docker.io" → "index.docker.io".
std::string normalise_registry_key(std::string_view key);

}  // namespace kiln::registry
