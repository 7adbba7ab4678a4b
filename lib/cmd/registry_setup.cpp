#include "cmd/registry_setup.h"

#include <system_error>

#include "base/error.h"
#include "cloudcreds/helper_names.h"
#include "cloudcreds/keychain.h"

namespace kiln::cmd {
namespace fsys = std::filesystem;

registry::Options registry_options(const cli::RegistryFlags& o, const fsys::path& kaniko_dir,
                                   const cli::GetEnv& env) {
  registry::Options r;
  r.insecure_all = o.insecure;
  r.insecure_pull = o.insecure_pull;
  r.insecure_registries.insert(o.insecure_registries.begin(), o.insecure_registries.end());
  r.skip_verify_all = o.skip_tls_verify;
  r.skip_verify_pull = o.skip_tls_verify_pull;
  r.skip_verify_registries.insert(o.skip_tls_verify_registries.begin(), o.skip_tls_verify_registries.end());
  r.registry_ca = o.registry_certificates;
  for (const auto& [reg, pair] : o.registry_client_certs) {
    auto comma = pair.find(',');
    if (comma == std::string::npos)
      throw UsageError("invalid --registry-client-cert for " + reg + ": expected /path/cert,/path/key");
    r.registry_client_cert[reg] = {pair.substr(0, comma), pair.substr(comma + 1)};
  }
  // CA bundle: SSL_CERT_FILE wins, as in Go's crypto/x509 that kaniko uses;
  // else the bundle kaniko's image ships (GitLab users append to it).
  std::error_code ec;
  if (auto f = env("SSL_CERT_FILE"); f && !f->empty()) {
    r.ca_file = *f;
  } else {
    fsys::path bundle = kaniko_dir / "ssl/certs/ca-certificates.crt";
    r.ca_file = fsys::exists(bundle, ec) ? bundle.string() : std::string();
  }
  if (auto d = env("SSL_CERT_DIR"); d && !d->empty() && fsys::is_directory(*d, ec)) r.ca_dir = *d;
  r.mirrors = o.registry_mirrors;
  for (const auto& m : o.registry_maps) {
    auto eq = m.find('=');
    r.registry_map[m.substr(0, eq)].push_back(m.substr(eq + 1));
  }
  r.skip_default_registry_fallback = o.skip_default_registry_fallback;
  r.pull_retry = o.image_download_retry;
  return r;
}

registry::Options registry_options(const cli::ExecutorOptions& o, const cli::GetEnv& env) {
  registry::Options r = registry_options(static_cast<const cli::RegistryFlags&>(o), o.kaniko_dir, env);
  r.push_retry = o.push_retry;
  return r;
}

fsys::path docker_config_dir(const fsys::path& kaniko_dir, const cli::GetEnv& env) {
  if (auto d = env("DOCKER_CONFIG"); d && !d->empty()) return *d;
  return kaniko_dir / ".docker";
}

fsys::path docker_config_dir(const cli::ExecutorOptions& o, const cli::GetEnv& env) {
  return docker_config_dir(fsys::path(o.kaniko_dir), env);
}

std::vector<std::string> credential_helpers(const cli::RegistryFlags& o) {
  return cloudcreds::helpers_to_run(o.credential_helpers, o.credential_helpers_given);
}

registry::Keychain load_keychain(const std::vector<std::string>& helpers, const fsys::path& docker_config,
                                 const cli::GetEnv& env) {
  return cloudcreds::load_keychain(docker_config.string(), helpers, env);
}

}  // namespace kiln::cmd
