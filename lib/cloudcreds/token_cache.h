#pragma once
// Credentials a helper obtained, kept per registry until they expire, so a
// build asks a cloud token service once per registry (and again only when
// the token lapses). One lock: a second thread asking for the same registry
// waits for the first one's answer instead of asking the service again.
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "registry/credentials.h"

namespace kiln::cloudcreds {

class TokenCache {
 public:
  using Fetch = std::function<std::optional<registry::Credential>()>;
  std::optional<registry::Credential> get(const std::string& host, const Fetch& fetch) {
    std::lock_guard lk(mu_);
    auto soon = std::chrono::system_clock::now() + std::chrono::minutes(1);
    if (auto it = entries_.find(host); it != entries_.end() && (!it->second || it->second->expires > soon))
      return it->second;
    auto c = fetch();
    entries_[host] = c;
    return c;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::optional<registry::Credential>> entries_;
};

}  // namespace kiln::cloudcreds
