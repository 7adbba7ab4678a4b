#pragma once
// Turns a registry's WWW-Authenticate challenge and the user's credentials
// into an Authorization header: Basic straight from the credentials, Bearer
// via the token server named in the challenge (Docker's token spec), with
// tokens cached per registry and scope set until shortly before they expire.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "http/client.h"
#include "log/log.h"
#include "registry/credentials.h"
#include "registry/www_authenticate.h"

namespace kiln::registry {

// "repository:library/busybox:pull", "repository:app:pull,push".
std::string repository_scope(const std::string& repository, const std::string& actions);

std::string basic_authorization(const std::string& username, const std::string& password);

class Authenticator {
 public:
  // `cloud`: the client built-in helpers use for cloud token services
  // (defaults to `http`).
  Authenticator(http::Client& http, const Keychain& keychain, log::Logger& log, http::Client* cloud = nullptr);

  // The full header line ("Authorization: Bearer …") for a request to
  // `registry` needing `scopes`, or "" for anonymous. `challenge` is what the
  // registry answered to an unauthenticated request. Throws StatusError /
  // IoError naming the registry and token server on failure; never puts a
  // secret in a message.
  std::string authorization(const std::string& registry, const Challenge& challenge,
                            const std::vector<std::string>& scopes);

  // Drops a cached token (the registry refused it).
  void forget(const std::string& registry, const std::vector<std::string>& scopes);

  // Credentials for a registry (cached until they expire: credential
  // helpers run once per build, or again when a helper's token lapses).
  std::optional<Credential> credential(const std::string& registry);

  const Keychain& keychain() const { return keychain_; }

 private:
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  Token fetch_token(const std::string& registry, const Challenge& challenge, const std::vector<std::string>& scopes);
  static std::string cache_key(const std::string& registry, const std::vector<std::string>& scopes);

  http::Client& http_;
  http::Client& cloud_;
  const Keychain& keychain_;
  log::Logger& log_;
  std::mutex mu_;
  std::map<std::string, Token> tokens_;
  std::map<std::string, std::optional<Credential>> creds_;
};

}  // namespace kiln::registry
