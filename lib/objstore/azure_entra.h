#pragma once
// A Microsoft Entra ID (Azure AD) access token for a service principal, as
// azidentity's environment and workload-identity credentials find one:
//   - workload identity (AKS): AZURE_FEDERATED_TOKEN_FILE holds a Kubernetes
//     service-account token sent as a client assertion;
//   - else AZURE_CLIENT_SECRET;
// both with AZURE_CLIENT_ID and AZURE_TENANT_ID, at AZURE_AUTHORITY_HOST
// (default https://login.microsoftonline.com/), client-credentials grant.
#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"
#include "log/log.h"
#include "objstore/env.h"
#include "objstore/gcp_token.h"

namespace kiln::objstore {

// What Azure Resource Manager tokens are for; ACR's exchange accepts them.
inline constexpr std::string_view kArmScope = "https://management.azure.com/.default";

struct EntraSettings {
  std::string authority;  // with a trailing '/'
  std::string tenant, client_id;
  std::string federated_token_file;  // or
  std::string client_secret;
};

// nullopt when AZURE_CLIENT_ID/AZURE_TENANT_ID or both secrets are missing.
std::optional<EntraSettings> entra_settings(const GetEnv& env);
// The token endpoint and its form body (pure; `assertion` is the federated
// token's text, unused with a client secret).
std::string entra_token_url(const EntraSettings& s);
std::string entra_token_body(const EntraSettings& s, std::string_view assertion, std::string_view scope);

// Throws kiln::IoError quoting Entra's error code when it refuses.
OAuthToken entra_token(const EntraSettings& s, std::string_view scope, http::Client& client, log::Logger& log);

}  // namespace kiln::objstore
