#pragma once
// The "google" helper: Container Registry (gcr.io, *.gcr.io) and Artifact
// Registry (*-docker.pkg.dev) get an OAuth access token (cloud-platform
// scope) from GOOGLE_APPLICATION_CREDENTIALS (a service-account key or an
// external_account file) or the metadata server (objstore/gcp_token.h),
// sent as the password of "oauth2accesstoken", as docker-credential-gcr does.
#include <optional>
#include <string>
#include <string_view>

#include "cloudcreds/token_cache.h"
#include "objstore/env.h"
#include "registry/credential_source.h"

namespace kiln::cloudcreds {

bool is_google_registry(std::string_view registry);

class GoogleSource : public registry::CredentialSource {
 public:
  explicit GoogleSource(objstore::GetEnv env) : env_(std::move(env)) {}
  const char* name() const override { return "google"; }
  std::optional<registry::Credential> get(const std::string& host, const registry::SourceContext* ctx) override;

 private:
  objstore::GetEnv env_;
  TokenCache cache_;
};

}  // namespace kiln::cloudcreds
