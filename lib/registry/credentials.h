#pragma once
// Registry credentials from Docker's config.json, as kaniko reads them from
// $DOCKER_CONFIG (default /kaniko/.docker): "auths" entries, per-registry
// "credHelpers" and the default "credsStore" (docker-credential-<name>).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::registry {

struct Credential {
  std::string username, password;
  std::string identity_token;  // OAuth2 refresh token ("identitytoken")
  std::string registry_token;  // a bearer token to use as is ("registrytoken")
  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty() && registry_token.empty();
  }
};

// How the keychain reads the environment (injected: no global state).
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

class Keychain {
 public:
  // Reads <docker_config_dir>/config.json. A missing file (or directory)
  // gives an empty keychain; malformed JSON throws kiln::UsageError naming
  // the file.
  static Keychain load(const std::string& docker_config_dir);
  // From config.json text; `origin` names it in errors.
  static Keychain parse(std::string_view json, const std::string& origin);

  // The credential for a registry host ("index.docker.io", "reg:5000"), or
  // nullopt for anonymous access. May run a credential helper; throws
  // kiln::IoError when a helper fails for another reason than "not found".
  std::optional<Credential> lookup(std::string_view registry_host) const;

  // --credential-helpers=env: after config.json (auths, credHelpers,
  // credsStore) has nothing for a registry, KANIKO_<HOST>_USER and
  // KANIKO_<HOST>_PASSWORD are asked (see env_credentials.h). config.json
  // ranks first because it is what `executor login` and docker write on
  // purpose; the variables are a fallback a CI system sets for every job.
  void use_env_credentials(EnvLookup env);

  // The file the credentials came from, for messages ("check the
  // credentials for reg:5000 in /kaniko/.docker/config.json").
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
  std::map<std::string, Credential> auths_;        // key: normalised host
  std::map<std::string, std::string> helpers_;      // host -> helper name
  std::string store_;                               // credsStore
  EnvLookup env_;                                   // set by use_env_credentials
};

// "https://index.docker.io/v1/" → "index.docker.io"; "http://reg:5000/x" →
// "reg:5000"; "docker.io" → "index.docker.io".
std::string normalise_registry_key(std::string_view key);

}  // namespace kiln::registry
