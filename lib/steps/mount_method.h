#pragma once
// How a build gives RUN --mount: in a mount namespace of the command (the
// mounts vanish with it), or, where the container allows no mount namespace
// (Docker's default capabilities and seccomp profile, most CI runners), by
// ordinary file operations in the root (mount_files.h). One probe per build
// decides; the log and --dryrun say which one is used and why.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace kiln::steps {

enum class MountMethod { Namespace, Files };

// What the probe saw: err 0 when a mount namespace with a bind mount in it
// worked, else the errno of the first call that failed, named by `call`.
struct MountProbe {
  int err = 0;
  std::string call;  // "unshare(CLONE_NEWNS)", "mount(MS_BIND)"
};

struct MountMethodChoice {
  MountMethod method = MountMethod::Namespace;
  std::string why;  // for the log: the failed call and the missing capability
};

// Pure: any failure means the file method (a failure the probe did not see
// would make every RUN --mount fail, which is what issue 16 reported).
MountMethodChoice choose_mount_method(const MountProbe& probe);

// "mount namespace" / "file operations in the root".
std::string method_name(MountMethod m);

// Forks a child that makes a mount namespace, makes it private and binds
// `dir` (an existing empty directory) onto itself there; nothing is visible
// outside the child.
MountProbe probe_mount_namespace(const std::filesystem::path& dir);

// The build's decision, probed on first use and kept; the probe is a
// parameter so tests can give any outcome.
class MountMethodDecider {
 public:
  explicit MountMethodDecider(std::function<MountProbe()> probe) : probe_(std::move(probe)) {}
  const MountMethodChoice& get();
  bool decided() const { return choice_.has_value(); }

 private:
  std::function<MountProbe()> probe_;
  std::optional<MountMethodChoice> choice_;
};

}  // namespace kiln::steps
