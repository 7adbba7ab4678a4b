#pragma once
// The "acr" helper: Azure Container Registry (*.azurecr.io, .cn, .us). An
// Entra ID token of the workload's service principal (objstore/azure_entra.h:
// workload identity or a client secret) is exchanged at the registry's own
// /oauth2/exchange for an ACR refresh token, used as the password of the
// user 00000000-0000-0000-0000-000000000000, as `az acr login` does.
#include <optional>
#include <string>
#include <string_view>

#include "cloudcreds/token_cache.h"
#include "http/message.h"
#include "objstore/env.h"
#include "registry/credential_source.h"

namespace kiln::cloudcreds {

inline constexpr const char* kAcrTokenUser = "00000000-0000-0000-0000-000000000000";

bool is_acr_host(std::string_view registry);
// The exchange request to https://<registry>/oauth2/exchange (pure).
http::Request acr_exchange_request(const std::string& registry, const std::string& tenant,
                                   const std::string& access_token);
// The refresh token in the answer; throws kiln::IoError naming `source`.
std::string parse_acr_exchange(std::string_view json, std::string_view source);

class AcrSource : public registry::CredentialSource {
 public:
  explicit AcrSource(objstore::GetEnv env) : env_(std::move(env)) {}
  const char* name() const override { return "acr"; }
  std::optional<registry::Credential> get(const std::string& host, const registry::SourceContext* ctx) override;

 private:
  objstore::GetEnv env_;
  TokenCache cache_;
};

}  // namespace kiln::cloudcreds
