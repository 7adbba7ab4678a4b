#pragma once
// A source of registry credentials asked after config.json: kiln's built-in
// helpers (--credential-helpers: env, google, ecr, acr, gitlab). The cloud
// ones live in lib/cloudcreds; the keychain only knows this interface.
#include <optional>
#include <string>

#include "http/client.h"
#include "log/log.h"
#include "registry/credentials.h"

namespace kiln::registry {

// What a source may use while it looks: the registry's own HTTP client (its
// TLS settings; ACR's token exchange is served by the registry itself), a
// client for cloud token services (the CA bundle, always verified) and the log.
struct SourceContext {
  http::Client& registry_http;
  http::Client& cloud_http;
  log::Logger& log;
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  virtual const char* name() const = 0;
  // nullopt when this source has nothing for the host: the next one is
  // asked. Throws kiln::Error naming the service (never a secret) when it
  // found credentials but the service refused them. `ctx` is null when the
  // caller has no HTTP clients (sources that need them then answer nullopt).
  virtual std::optional<Credential> get(const std::string& host, const SourceContext* ctx) = 0;
};

}  // namespace kiln::registry
