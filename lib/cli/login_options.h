#pragma once
// `executor login [-u USER] [-p PASS | --password-stdin] REGISTRY`: kiln's
// addition (kaniko has no login command) that writes docker login's
// credentials into $DOCKER_CONFIG/config.json, so a CI script needs no
// hand-made JSON. Takes the executor's registry/TLS flags for the check
// against the registry.
#include <string>
#include <vector>

#include "cli/registry_flags.h"

namespace kiln::cli {

struct LoginOptions : RegistryFlags {
  std::string username;
  std::string password;
  bool password_set = false;  // -p given (even as "")
  bool password_stdin = false;
  bool verify = true;  // GET /v2/ with the credentials before writing them
  std::string kaniko_dir = "/kaniko";
  std::string verbosity = "info";
  std::string log_format = "color";
  bool log_timestamp = false;
  bool help = false;
  std::vector<std::string> positional;  // the registry
};

// Parses the arguments after "login"; KANIKO_DIR is applied first. Throws
// kiln::UsageError.
LoginOptions parse_login_options(const std::vector<std::string>& args, const GetEnv& env);

// One registry, a username, exactly one password source. Throws UsageError.
void validate(const LoginOptions& o);

std::string login_usage();

}  // namespace kiln::cli
