#include "cli/login_options.h"

#include "base/error.h"
#include "cli/flag_rows.h"
#include "cli/flags.h"

namespace kiln::cli {
namespace {

using namespace rows;

void build_table(FlagSet& fs, LoginOptions& o) {
  fs.add(str("username", 'u', &o.username, "Username"));
  {
    Flag f = str("password", 'p', &o.password, "Password (visible to other processes: prefer --password-stdin)");
    f.set = [&o](std::string_view v) {
      o.password = std::string(v);
      o.password_set = true;
    };
    fs.add(f);
  }
  fs.add(boolean("password-stdin", &o.password_stdin, "Take the password from stdin"));
  fs.add(boolean("verify", &o.verify,
                 "Check the credentials against the registry (GET /v2/) before writing them; --verify=false writes "
                 "them without contacting the registry",
                 true));
  add_registry_flags(fs, o);
  add_common_flags(fs, o, "login");
}

}  // namespace

LoginOptions parse_login_options(const std::vector<std::string>& args, const GetEnv& env) {
  LoginOptions o;
  if (auto v = env("KANIKO_DIR"); v && !v->empty()) o.kaniko_dir = *v;
  FlagSet fs("executor login");
  build_table(fs, o);
  auto r = fs.parse(args);
  o.positional = std::move(r.positional);
  normalize_registry_flags(o);
  return o;
}

void validate(const LoginOptions& o) {
  if (o.positional.empty()) throw UsageError("executor login needs a registry: executor login -u USER --password-stdin REGISTRY");
  if (o.positional.size() > 1) throw UsageError("executor login takes one registry, got '" + o.positional[1] + "' too");
  if (o.username.empty()) throw UsageError("executor login needs a username (-u)");
  if (o.password_set && o.password_stdin) throw UsageError("--password and --password-stdin are mutually exclusive");
  if (!o.password_set && !o.password_stdin) throw UsageError("executor login needs a password: -p PASS or --password-stdin");
  validate_registry_flags(o);
}

std::string login_usage() {
  LoginOptions o;
  FlagSet fs("executor login");
  build_table(fs, o);
  return "Writes registry credentials into $DOCKER_CONFIG/config.json (default /kaniko/.docker/config.json)\n"
         "as docker login does: auths.<registry>.auth = base64(user:password), merged into what the file\n"
         "holds, written atomically with mode 0600. Docker Hub (docker.io, index.docker.io) is stored as\n"
         "https://index.docker.io/v1/. The credentials are checked against the registry first (GET /v2/);\n"
         "refused ones are an error and nothing is written. Needs no container.\n\n" +
         fs.usage("executor login -u USER (-p PASS | --password-stdin) REGISTRY [flags]") +
         "\nEnvironment: KANIKO_DIR, DOCKER_CONFIG, SSL_CERT_FILE, SSL_CERT_DIR, http_proxy/https_proxy/no_proxy.\n";
}

}  // namespace kiln::cli
