// libFuzzer target for Docker's config.json as kiln reads it
// (registry/credentials.h). Input: the first line is a registry host to look
// up, the rest is the config.json text. A kiln::Error (UsageError for bad
// JSON, Error for a bad "auth" value) is the expected answer to bad input;
// any other exception, a crash, a leak or UB is a finding.
//
// Credential helpers named by the input ("credHelpers", "credsStore") are
// not run: this binary defines run_credential_helper itself, so the linker
// never pulls the real one (which spawns docker-credential-<name>) from the
// library archive. The stand-in checks what the real one would be given.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "registry/credential_helper.h"
#include "registry/credentials.h"

namespace kiln::registry {
std::optional<Credential> run_credential_helper(const std::string& helper, const std::string& server_url) {
  // An empty helper name must mean "no helper", never docker-credential-.
  if (helper.empty()) __builtin_trap();
  if (server_url.empty()) __builtin_trap();
  return std::nullopt;
}
}  // namespace kiln::registry

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nl = in.find('\n');
  const std::string host(in.substr(0, nl == std::string_view::npos ? 0 : nl));
  std::string_view json = nl == std::string_view::npos ? in : in.substr(nl + 1);
  try {
    const std::string key = kiln::registry::normalise_registry_key(host);
    // Normalising is idempotent: a key stored normalised is found again.
    if (kiln::registry::normalise_registry_key(key) != key) __builtin_trap();
  } catch (const kiln::Error&) {
  }
  try {
    auto k = kiln::registry::Keychain::parse(json, "fuzz/config.json");
    for (std::string_view h : {std::string_view(host), std::string_view("index.docker.io"),
                               std::string_view("127.0.0.1:5000")}) {
      try {
        auto c = k.lookup(h);
        if (c && c->empty()) __builtin_trap();  // nullopt means anonymous, never an empty credential
      } catch (const kiln::Error&) {
      }
    }
  } catch (const kiln::Error&) {
  }
  return 0;
}
