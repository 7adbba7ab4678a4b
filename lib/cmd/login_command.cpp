#include "cmd/login_command.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "base/file.h"
#include "cli/login_options.h"
#include "cmd/registry_setup.h"
#include "registry/base64.h"
#include "registry/client.h"
#include "registry/credentials.h"
#include "registry/login_config.h"
#include "registry/status_error.h"

namespace kiln::cmd {
namespace fsys = std::filesystem;

namespace {

std::string read_file_if_any(const fsys::path& p) {
  std::error_code ec;
  if (!fsys::exists(p, ec)) return "";
  return read_file(p);
}

// Temp file in the same directory, 0600 from the start (it holds secrets),
// flushed, then renamed over the old file: readers see the old or the new
// file, never half of one.
void write_private_atomic(const fsys::path& dest, const std::string& text) {
  std::error_code ec;
  fsys::create_directories(dest.parent_path(), ec);
  if (ec) throw IoError("creating " + dest.parent_path().string() + ": " + ec.message());
  std::string tmpl = (dest.parent_path() / (".config.json.XXXXXX")).string();
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw SystemError("writing " + dest.string(), errno);
  auto fail = [&](const std::string& what) {
    int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    throw SystemError("writing " + dest.string() + ": " + what, err);
  };
  if (::fchmod(fd, 0600) != 0) fail("chmod");
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("write");
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    throw SystemError("writing " + dest.string() + ": close", errno);
  }
  if (::rename(tmpl.c_str(), dest.c_str()) != 0) {
    int err = errno;
    ::unlink(tmpl.c_str());
    throw SystemError("renaming into " + dest.string(), err);
  }
}

std::string trim_newlines(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// A keychain holding only the credentials being checked.
registry::Keychain keychain_for(const std::string& host, const std::string& user, const std::string& pass) {
  nlohmann::json j;
  j["auths"][host]["auth"] = registry::base64_encode(user + ":" + pass);
  return registry::Keychain::parse(j.dump(), "the credentials given to executor login");
}

}  // namespace

int run_login(const std::vector<std::string>& args, const CommandIo& io) {
  int exit_code = 0;
  auto started = start_command<cli::LoginOptions>(args, io, cli::parse_login_options, cli::login_usage, exit_code);
  if (!started) return exit_code;
  cli::LoginOptions& o = started->first;
  const log::Logger::Options& lo = started->second;
  log::Logger log(lo);
  std::string host = registry::normalise_registry_key(o.positional[0]);
  std::string key = registry::login_config_key(o.positional[0]);
  fsys::path config = docker_config_dir(fsys::path(o.kaniko_dir), io.getenv) / "config.json";
  try {
    std::string password = o.password;
    if (o.password_stdin) {
      password = trim_newlines(io.read_stdin());
    } else {
      log.warn("Using --password via the CLI is insecure. Use --password-stdin.");
    }
    if (password.empty()) throw UsageError("executor login: the password is empty");
    if (host.empty()) throw UsageError("executor login: '" + o.positional[0] + "' names no registry");

    if (o.verify) {
      registry::Client client(registry_options(o, fsys::path(o.kaniko_dir), io.getenv),
                              keychain_for(host, o.username, password), log);
      try {
        if (client.check_login(host)) {
          log.info("Credentials for " + host + " accepted by the registry");
        } else {
          log.warn(host + " asks for no credentials: they were not checked");
        }
      } catch (const registry::StatusError& e) {
        if (e.status() == 401 || e.status() == 403)
          throw IoError("login to " + host + " refused (" + registry::status_text(e.status()) +
                        "): wrong username or password; nothing was written to " + config.string());
        throw;
      }
    }
    auto update = registry::add_login(read_file_if_any(config), config.string(), key, o.username, password);
    for (const auto& w : update.warnings) log.warn(w);
    write_private_atomic(config, update.text);
    log.info("Credentials for " + key + " written to " + config.string());
    std::cout << "Login Succeeded" << std::endl;
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (msg.find("nothing was written") == std::string::npos) msg += " (nothing was written to " + config.string() + ")";
    log.error("error logging in to " + host + ": " + msg);
    return 1;
  }
  return 0;
}

}  // namespace kiln::cmd
