#include "cloudcreds/keychain.h"

#include "cloudcreds/acr.h"
#include "cloudcreds/ecr.h"
#include "cloudcreds/gitlab.h"
#include "cloudcreds/google.h"
#include "registry/env_credentials.h"

namespace kiln::cloudcreds {

registry::Keychain load_keychain(const std::string& docker_config_dir, const std::vector<std::string>& helpers,
                                 const registry::EnvLookup& env) {
  auto k = registry::Keychain::load(docker_config_dir, env);
  for (const auto& h : helpers) {
    if (h == "env") k.add_source(std::make_shared<registry::EnvCredentialSource>(env));
    else if (h == "google") k.add_source(std::make_shared<GoogleSource>(env));
    else if (h == "ecr") k.add_source(std::make_shared<EcrSource>(env));
    else if (h == "acr") k.add_source(std::make_shared<AcrSource>(env));
    else if (h == "gitlab") k.add_source(std::make_shared<GitlabSource>(env));
  }
  return k;
}

}  // namespace kiln::cloudcreds
