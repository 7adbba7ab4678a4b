#include "registry/credential_helper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "base/error.h"

extern char** environ;

namespace kiln::registry {
namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0) throw SystemError("pipe", errno);
  }
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

// Writes `input` to the child's stdin and collects stdout and stderr without
// deadlocking on full pipes.
void exchange(int in_fd, int out_fd, int err_fd, const std::string& input, std::string& out, std::string& err) {
  std::size_t written = 0;
  if (input.empty()) {
    ::close(in_fd);
    in_fd = -1;
  }
  while (out_fd >= 0 || err_fd >= 0) {
    pollfd p[3];
    int n = 0;
    if (in_fd >= 0) p[n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) p[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) p[n++] = {err_fd, POLLIN, 0};
    if (::poll(p, n, 30000) <= 0) throw IoError("timed out waiting for the credential helper");
    for (int i = 0; i < n; ++i) {
      if (!p[i].revents) continue;
      if (p[i].fd == in_fd) {
        ssize_t k = ::write(in_fd, input.data() + written, input.size() - written);
        if (k > 0) written += static_cast<std::size_t>(k);
        if (k < 0 || written == input.size()) {
          ::close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[4096];
      ssize_t k = ::read(p[i].fd, buf, sizeof buf);
      std::string& dst = p[i].fd == out_fd ? out : err;
      if (k > 0) {
        if (dst.size() < (1 << 20)) dst.append(buf, static_cast<std::size_t>(k));
      } else {
        (p[i].fd == out_fd ? out_fd : err_fd) = -1;
      }
    }
  }
  if (in_fd >= 0) ::close(in_fd);
}

}  // namespace

std::optional<Credential> run_credential_helper(const std::string& helper, const std::string& server_url) {
  const std::string program = "docker-credential-" + helper;
  Pipe in, out, err;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err.fd[1], 2);
  char* argv[] = {const_cast<char*>(program.c_str()), const_cast<char*>("get"), nullptr};
  // The executor blocks SIGTERM and SIGINT (its interrupt watcher takes
  // them); a helper must start with nothing blocked, or it could not be
  // stopped and would pass the mask on to whatever it runs.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, program.c_str(), &fa, &attr, argv, environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    throw IoError("running credential helper " + program + " for " + server_url + ": " + std::strerror(rc) +
                  " (is it on PATH?)");
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  std::string stdout_text, stderr_text;
  int in_fd = in.fd[1];
  in.fd[1] = -1;  // exchange() closes it
  int status = 0;
  try {
    exchange(in_fd, out.fd[0], err.fd[0], server_url, stdout_text, stderr_text);
  } catch (...) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    throw;
  }
  ::waitpid(pid, &status, 0);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok) {
    // The protocol's way of saying "anonymous": the message text itself.
    std::string said = stdout_text + stderr_text;
    if (said.find("credentials not found") != std::string::npos) return std::nullopt;
    while (!said.empty() && (said.back() == '\n' || said.back() == '\r')) said.pop_back();
    throw IoError("credential helper " + program + " failed for " + server_url + ": " + said.substr(0, 500));
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(stdout_text);
  } catch (const nlohmann::json::exception&) {
    // Not quoted: the output would contain the secret.
    throw IoError("credential helper " + program + " printed something that is not JSON for " + server_url);
  }
  Credential c;
  std::string user = j.value("Username", "");
  std::string secret = j.value("Secret", "");
  // Docker's convention: the user "<token>" marks the secret as an identity
  // (refresh) token.
  if (user == "<token>") {
    c.identity_token = secret;
  } else {
    c.username = user;
    c.password = secret;
  }
  if (c.empty()) return std::nullopt;
  return c;
}

}  // namespace kiln::registry
