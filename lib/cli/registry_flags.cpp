#include "cli/registry_flags.h"

#include "base/error.h"
#include "base/text.h"
#include "cli/flag_rows.h"

namespace kiln::cli {
using namespace rows;

void add_registry_flags(FlagSet& fs, RegistryFlags& o) {
  fs.add(boolean("insecure", &o.insecure, "Push to insecure registry using plain HTTP"));
  fs.add(boolean("insecure-pull", &o.insecure_pull, "Pull from insecure registry using plain HTTP"));
  fs.add(list("insecure-registry", 0, &o.insecure_registries,
              "Insecure registry using plain HTTP to push and pull. Repeatable."));
  fs.add(boolean("skip-tls-verify", &o.skip_tls_verify, "Push to insecure registry ignoring TLS verify"));
  fs.add(boolean("skip-tls-verify-pull", &o.skip_tls_verify_pull, "Pull from insecure registry ignoring TLS verify"));
  fs.add(list("skip-tls-verify-registry", 0, &o.skip_tls_verify_registries,
              "Insecure registry ignoring TLS verify to push and pull. Repeatable."));
  fs.add(key_value("registry-certificate", &o.registry_certificates,
                   "Use the provided certificate for TLS communication with the given registry: my.registry.url=/path/to/cert"));
  fs.add(key_value("registry-client-cert", &o.registry_client_certs,
                   "Client certificate for mutual TLS with the given registry: my.registry.url=/path/cert,/path/key"));
  fs.add(list("registry-mirror", 0, &o.registry_mirrors,
              "Registry mirror to use as pull-through cache instead of docker.io. Repeatable."));
  fs.add(list("registry-map", 0, &o.registry_maps,
              "Registry map: orig=new, pulls of orig go to new. Repeatable; ';' separates several in one value."));
  fs.add(boolean("skip-default-registry-fallback", &o.skip_default_registry_fallback,
                 "Fail instead of falling back to the default registry when all mirrors fail"));
  {
    Flag f = list("credential-helpers", 0, &o.credential_helpers,
                  "Built-in credential helpers asked after DOCKER_AUTH_CONFIG and config.json: env (KANIKO_<HOST>_USER/_PASSWORD), google (gcr.io, *-docker.pkg.dev), ecr (*.dkr.ecr.*.amazonaws.com), acr (*.azurecr.io), gitlab (CI_REGISTRY, CI_DEPENDENCY_PROXY_SERVER). Default: all; an empty value: none. Comma-separated, repeatable.");
    f.set = [&o](std::string_view v) {
      o.credential_helpers_given = true;
      for (std::string_view part : split_list(v)) o.credential_helpers.emplace_back(part);
    };
    fs.add(f);
  }
  fs.add(integer("image-download-retry", &o.image_download_retry, "Number of retries for downloading the remote image"));
}

std::vector<std::string> split_semicolons(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto p = s.find(';', start);
    auto part = s.substr(start, p == std::string::npos ? std::string::npos : p - start);
    if (!part.empty()) out.push_back(part);
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

void apply_registry_environment(RegistryFlags& o, const GetEnv& env) {
  if (auto v = env("KANIKO_REGISTRY_MIRROR"); v && !v->empty())
    for (auto& m : split_semicolons(*v)) o.registry_mirrors.push_back(m);
  if (auto v = env("KANIKO_REGISTRY_MAP"); v && !v->empty())
    for (auto& m : split_semicolons(*v)) o.registry_maps.push_back(m);
}

void normalize_registry_flags(RegistryFlags& o) {
  std::vector<std::string> maps;
  for (auto& m : o.registry_maps)
    for (auto& part : split_semicolons(m)) maps.push_back(part);
  o.registry_maps = std::move(maps);
}

void validate_registry_flags(const RegistryFlags& o) {
  for (const auto& m : o.registry_maps)
    if (m.find('=') == std::string::npos)
      throw UsageError("invalid --registry-map '" + m + "': expected original=mapped");
}

}  // namespace kiln::cli
