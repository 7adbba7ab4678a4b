#pragma once
// Runs one RUN command as a child process in the container's root: its own
// process group (so a signal to the build ends the whole command tree), the
// stage's environment, working directory and user, with stdout and stderr
// streamed to the log as they arrive.
#include <sys/types.h>

#include <string>
#include <vector>

#include "log/log.h"
#include "proc/interrupt.h"

namespace kiln::proc {

// One step of setting up RUN --mount in the child, in a mount namespace of
// its own (so the mounts vanish with the command and the parent, which takes
// the snapshot, never sees them). Paths are host paths, already resolved
// inside the image root by the caller; mount points must exist.
struct MountOp {
  enum class Kind {
    Bind,       // source onto target (recursive); read_only remounts it read-only
    Tmpfs,      // a tmpfs at target; data: mount options ("size=1024" or "")
    WriteFile,  // creates target (must not exist) holding data, then mode/uid/gid
    Detach,     // lazily unmounts target (a staging mount no longer needed)
    Proc,       // a fresh procfs at target (the /proc of a stage's own root)
  };
  Kind kind = Kind::Bind;
  std::string source;
  std::string target;
  bool read_only = false;
  std::string data;  // may be a secret: never logged, never in messages
  mode_t mode = 0400;
  uid_t uid = 0;
  gid_t gid = 0;
  std::string what;  // names the mount in errors: "--mount=type=cache,target=/x"
};

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up on PATH from env when it has no '/'
  std::vector<std::string> env;   // "K=V"
  std::string cwd = "/";
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;      // supplementary groups
  bool no_network = false;        // RUN --network=none: a fresh, empty network namespace
  std::vector<MountOp> mounts;    // RUN --mount, performed in order before the user switch
  // Host path of a root of the stage's own (a stage built beside others):
  // the command gets a mount namespace, `mounts` (which then start with that
  // root's /proc and /dev) and chroots there. cwd and argv[0] are then paths
  // inside that root; argv[0] is looked up on PATH after the chroot. Empty:
  // the command runs in the container's root.
  std::string chroot_dir;
  // SIGTERM/SIGINT to the build: kills the command's process group; then
  // run_process throws Interrupted instead of returning. May be null.
  Interrupt* interrupt = nullptr;
};

// Returns the exit status (128+signal when killed). Throws Interrupted when
// the build was interrupted while the command ran. Throws kiln::Error when
// the process cannot be started (missing executable, bad working directory),
// naming the command.
int run_process(const ProcessSpec& spec, log::Logger& log);

// Where execvp would look for `name`: itself when it has a '/', else each
// directory of the environment's PATH (the default one when unset), in order.
std::vector<std::string> path_candidates(const std::string& name, const std::vector<std::string>& env);

// Finds an executable the way execvp would, but with the PATH of the stage's
// environment rather than kiln's own. Returns empty when not found.
std::string find_executable(const std::string& name, const std::vector<std::string>& env);

}  // namespace kiln::proc
