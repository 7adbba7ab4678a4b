#include "steps/mount_method.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kiln::steps {

MountMethodChoice choose_mount_method(const MountProbe& probe) {
  if (probe.err == 0) return {MountMethod::Namespace, "a mount namespace can be made"};
  return {MountMethod::Files, "no mount namespace here (" + probe.call + ": " + std::strerror(probe.err) +
                                  "; mounts need CAP_SYS_ADMIN and a seccomp/AppArmor profile that allows them)"};
}

std::string method_name(MountMethod m) {
  return m == MountMethod::Namespace ? "mount namespace" : "file operations in the root";
}

MountProbe probe_mount_namespace(const std::filesystem::path& dir) {
  // The child reports which call failed (1: unshare, 2: mount) and its errno
  // through the exit status: 8 bits are enough for both.
  pid_t pid = ::fork();
  if (pid < 0) return {errno, "fork"};
  if (pid == 0) {
    if (::unshare(CLONE_NEWNS) != 0) ::_exit(errno < 128 ? errno : 127);
    // EINVAL: / is not a mount point (a chroot); the bind below still shows
    // whether mounts are allowed.
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 && errno != EINVAL)
      ::_exit(128 + (errno < 127 ? errno : 126));
    if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) ::_exit(128 + (errno < 127 ? errno : 126));
    // Should / have stayed shared, the bind reached the executor's namespace
    // too; the unmount reaches it the same way.
    ::umount2(dir.c_str(), MNT_DETACH);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status)) return {EPERM, "the mount probe (killed)"};
  int code = WEXITSTATUS(status);
  if (code == 0) return {};
  if (code < 128) return {code, "unshare(CLONE_NEWNS)"};
  return {code - 128, "mount(MS_BIND)"};
}

const MountMethodChoice& MountMethodDecider::get() {
  if (!choice_) choice_ = choose_mount_method(probe_());
  return *choice_;
}

}  // namespace kiln::steps
