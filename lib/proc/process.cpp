#include "proc/process.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434  // the same number on every architecture
#endif

namespace kiln::proc {
namespace {

std::string env_value(const std::vector<std::string>& env, std::string_view key) {
  for (auto it = env.rbegin(); it != env.rend(); ++it)
    if (it->size() > key.size() && it->compare(0, key.size(), key) == 0 && (*it)[key.size()] == '=')
      return it->substr(key.size() + 1);
  return {};
}

bool is_executable_file(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
}

// Child side of fork, only async-signal-safe calls: fail() never returns.
template <class Fail>
void setup_mount(const MountOp& m, const Fail& fail) {
  const char* what = m.what.c_str();
  switch (m.kind) {
    case MountOp::Kind::Bind:
      if (mount(m.source.c_str(), m.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) fail(what);
      // A bind mount ignores MS_RDONLY on creation; only a remount applies it.
      if (m.read_only &&
          mount(nullptr, m.target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
        fail(what);
      return;
    case MountOp::Kind::Tmpfs:
      if (mount("tmpfs", m.target.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, m.data.empty() ? nullptr : m.data.c_str()) !=
          0)
        fail(what);
      return;
    case MountOp::Kind::WriteFile: {
      int fd = open(m.target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) fail(what);
      const char* p = m.data.data();
      std::size_t left = m.data.size();
      while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(what);
        p += n;
        left -= static_cast<std::size_t>(n);
      }
      if (fchown(fd, m.uid, m.gid) != 0 || fchmod(fd, m.mode) != 0) fail(what);
      close(fd);
      return;
    }
    case MountOp::Kind::Detach:
      if (umount2(m.target.c_str(), MNT_DETACH) != 0) fail(what);
      return;
    case MountOp::Kind::Proc:
      if (mount("proc", m.target.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) fail(what);
      return;
  }
}

// Child side of fork: only async-signal-safe calls until exec.
// `paths`: where to exec, tried in order (one, or the PATH's candidates
// inside a chroot, where the parent cannot look them up).
[[noreturn]] void exec_child(const ProcessSpec& s, const std::vector<std::string>& paths, char* const* argv,
                             char* const* envp, int out_fd, int err_pipe) {
  setpgid(0, 0);
  // The executor blocks SIGTERM/SIGINT (see interrupt.h); the command must
  // not inherit that.
  unblock_signals_in_child();
  dup2(out_fd, STDOUT_FILENO);
  dup2(out_fd, STDERR_FILENO);
  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  auto fail = [&](const char* what) {
    int e = errno;
    (void)!write(err_pipe, what, strlen(what));
    (void)!write(err_pipe, ": ", 2);
    const char* m = strerror(e);
    (void)!write(err_pipe, m, strlen(m));
    _exit(127);
  };
  // Never a silent fallback to the container's network.
  if (s.no_network && unshare(CLONE_NEWNET) != 0)
    fail("RUN --network=none needs a network namespace of its own, which needs CAP_SYS_ADMIN (and a seccomp "
         "profile that allows unshare); the command was not run: unshare(CLONE_NEWNET)");
  // Mounts come before the user switch (they need privileges) and before
  // chdir (the working directory may lie inside a mount).
  if (!s.mounts.empty() || !s.chroot_dir.empty()) {
    if (unshare(CLONE_NEWNS) != 0)
      fail(s.chroot_dir.empty() ? "RUN --mount: unshare(CLONE_NEWNS) (mount namespaces need CAP_SYS_ADMIN)"
                            : "RUN in a stage's own root: unshare(CLONE_NEWNS) (mount namespaces need CAP_SYS_ADMIN)");
    // Private, so nothing mounted here propagates back to the container. A
    // chroot whose root is not itself a mount point gives EINVAL; then the
    // caller's check after the command (steps/mount_setup.h) catches any leak.
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 && errno != EINVAL)
      fail("RUN --mount: making / private");
    for (const MountOp& m : s.mounts) setup_mount(m, fail);
  }
  if (!s.chroot_dir.empty() && chroot(s.chroot_dir.c_str()) != 0) fail("chroot to the stage's root");
  if (setgroups(s.groups.size(), s.groups.data()) != 0 && geteuid() == 0) fail("setgroups");
  if (setgid(s.gid) != 0 && geteuid() == 0) fail("setgid");
  if (setuid(s.uid) != 0 && geteuid() == 0) fail("setuid");
  if (chdir(s.cwd.c_str()) != 0) fail("chdir to the working directory");
  int first_error = 0;
  for (const auto& path : paths) {
    execve(path.c_str(), argv, envp);
    // execvp's rule: a candidate that is missing or not executable is skipped.
    if (errno != ENOENT && errno != ENOTDIR && errno != EACCES) break;
    if (first_error == 0 || errno == EACCES) first_error = errno;
  }
  if (first_error != 0 && paths.size() > 1) {
    errno = first_error;
    fail("exec (every directory of the image's PATH)");
  }
  fail("exec");
  _exit(127);  // not reached: fail() exits, but the compiler cannot tell
}

bool has_exited(pid_t pid) {
  siginfo_t info{};
  return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

// Streams the command's output to the log as it comes (long builds show
// progress in CI logs) until the command's own process exits, as BuildKit
// ends a step when its shell exits: a child left running in the background
// (`(sleep 30 &)`, `service x start`) may hold the pipe open much longer.
// Then the group is killed and only what is already buffered is logged.
void stream_until_exit(int fd, pid_t pid, log::Logger& log) {
  // A pidfd turns readable when the process exits; without one (kernel
  // before 5.3), the exit is checked every 50 ms.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  char buf[16384];
  bool exited = false;
  for (;;) {
    struct pollfd fds[2] = {{fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    int n = poll(fds, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 50);
    if (n < 0 && errno != EINTR) break;
    if (n > 0 && fds[0].revents != 0) {
      ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) log.raw(std::string_view(buf, static_cast<std::size_t>(r)));
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) break;  // every writer is gone
    }
    if (pidfd >= 0 ? (n > 0 && fds[1].revents != 0) : has_exited(pid)) {
      exited = true;
      break;
    }
  }
  if (pidfd >= 0) close(pidfd);
  if (!exited) return;
  kill(-pid, SIGKILL);
  // What is buffered already, bounded: a writer outside the group (a daemon
  // that called setsid) could otherwise keep this going.
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  for (std::size_t total = 0; total < (std::size_t{1} << 20);) {
    ssize_t r = read(fd, buf, sizeof buf);
    if (r > 0) {
      log.raw(std::string_view(buf, static_cast<std::size_t>(r)));
      total += static_cast<std::size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    break;
  }
}

}  // namespace

std::vector<std::string> path_candidates(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return {name};
  std::string path = env_value(env, "PATH");
  if (path.empty()) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto colon = path.find(':', start);
    std::string dir = path.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    if (dir.empty()) dir = ".";
    out.push_back(dir + "/" + name);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return out;
}

std::string find_executable(const std::string& name, const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  for (const auto& cand : path_candidates(name, env))
    if (is_executable_file(cand)) return cand;
  return {};
}

int run_process(const ProcessSpec& spec, log::Logger& log) {
  if (spec.argv.empty()) throw Error("RUN: empty command");
  std::vector<std::string> paths;
  if (spec.chroot_dir.empty()) {
    std::string path = find_executable(spec.argv[0], spec.env);
    if (path.empty())
      throw Error("RUN: executable \"" + spec.argv[0] + "\" not found in the PATH of the image (" +
                  env_value(spec.env, "PATH") + ")");
    paths.push_back(path);
  } else {
    paths = path_candidates(spec.argv[0], spec.env);
  }

  std::vector<char*> argv, envp;
  for (auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    throw Error(std::string("RUN: pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) throw Error(std::string("RUN: fork: ") + std::strerror(errno));
  if (pid == 0) {
    close(out[0]);
    close(err[0]);
    // dup2 clears O_CLOEXEC on the new descriptors 1 and 2.
    exec_child(spec, paths, argv.data(), envp.data(), out[1], err[1]);
  }
  // Also here, not only in the child: the group must exist before anyone
  // (the interrupt watcher) signals it.
  setpgid(pid, pid);
  if (spec.interrupt) spec.interrupt->set_child_group(pid);
  // Should reading the output throw, the group must not stay registered.
  struct ClearGroup {
    Interrupt* in;
    pid_t pgid;
    ~ClearGroup() {
      if (in) in->clear_child_group(pgid);
    }
  } clear_group{spec.interrupt, pid};
  close(out[1]);
  close(err[1]);
  stream_until_exit(out[0], pid, log);
  close(out[0]);
  char buf[4096];
  std::string exec_error;
  for (;;) {
    ssize_t n = read(err[0], buf, sizeof buf);
    if (n > 0) {
      exec_error.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(err[0]);
  int status = 0;
  if (spec.interrupt) {
    // Wait for the exit without reaping: until the group is cleared the
    // leader's pid cannot be reused, so the watcher never kills a stranger.
    siginfo_t info{};
    while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    spec.interrupt->clear_child_group(pid);
  }
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Reap anything the command left in its process group so no daemon it
  // started survives into the snapshot.
  kill(-pid, SIGKILL);
  if (spec.interrupt) spec.interrupt->check();
  if (!exec_error.empty()) throw Error("RUN: cannot start " + spec.argv[0] + ": " + exec_error);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace kiln::proc
