#pragma once
// The "gitlab" helper: inside a GitLab CI job, the job's own registry
// credentials with no config.json: for CI_REGISTRY, CI_REGISTRY_USER and
// CI_REGISTRY_PASSWORD (else gitlab-ci-token and CI_JOB_TOKEN); for
// CI_DEPENDENCY_PROXY_SERVER, CI_DEPENDENCY_PROXY_USER and
// CI_DEPENDENCY_PROXY_PASSWORD (same fallback).
#include <optional>
#include <string>

#include "objstore/env.h"
#include "registry/credential_source.h"

namespace kiln::cloudcreds {

// Pure: nullopt when the host is neither server or the job gave no secret.
std::optional<registry::Credential> gitlab_credential(const std::string& host, const objstore::GetEnv& env);

class GitlabSource : public registry::CredentialSource {
 public:
  explicit GitlabSource(objstore::GetEnv env) : env_(std::move(env)) {}
  const char* name() const override { return "gitlab"; }
  std::optional<registry::Credential> get(const std::string& host, const registry::SourceContext*) override {
    return gitlab_credential(host, env_);
  }

 private:
  objstore::GetEnv env_;
};

}  // namespace kiln::cloudcreds
