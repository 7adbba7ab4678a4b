#pragma once
// The docker-credential-helpers protocol: run `docker-credential-<name> get`
// (looked up on PATH) with the server URL on stdin; it prints
// {"ServerURL":…,"Username":…,"Secret":…} or fails with "credentials not
// found in native keychain".
#include <optional>
#include <string>

#include "registry/credentials.h"

namespace kiln::registry {

// nullopt when the helper knows no credentials for the server. Throws
// kiln::IoError naming the helper (never the secret) on any other failure.
std::optional<Credential> run_credential_helper(const std::string& helper, const std::string& server_url);

}  // namespace kiln::registry
