#pragma once
// kaniko's registry, TLS, mirror and credential flags, shared by the executor
// and the warmer: one table, one environment rule, one set of checks.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/env.h"
#include "cli/flags.h"

namespace kiln::cli {

using GetEnv = kiln::GetEnv;  // base/env.h

struct RegistryFlags {
  bool insecure = false;
  bool insecure_pull = false;
  std::vector<std::string> insecure_registries;
  bool skip_tls_verify = false;
  bool skip_tls_verify_pull = false;
  std::vector<std::string> skip_tls_verify_registries;
  std::map<std::string, std::string> registry_certificates;   // registry -> CA file
  std::map<std::string, std::string> registry_client_certs;   // registry -> "cert,key"
  std::vector<std::string> registry_mirrors;
  std::vector<std::string> registry_maps;                     // "orig=new" (";" separates several)
  bool skip_default_registry_fallback = false;
  std::vector<std::string> credential_helpers;
  bool credential_helpers_given = false;  // absent: every built-in helper, as in kaniko
  int image_download_retry = 0;
};

// Adds the rows for every field above to fs, writing into r.
void add_registry_flags(FlagSet& fs, RegistryFlags& r);
// KANIKO_REGISTRY_MIRROR and KANIKO_REGISTRY_MAP (";"-separated), applied
// before parsing so flags add to them.
void apply_registry_environment(RegistryFlags& r, const GetEnv& env);
// After parsing: splits ";"-joined --registry-map values.
void normalize_registry_flags(RegistryFlags& r);
// Throws kiln::UsageError naming the malformed value.
void validate_registry_flags(const RegistryFlags& r);

std::vector<std::string> split_semicolons(const std::string& s);

}  // namespace kiln::cli
