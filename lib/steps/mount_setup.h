#pragma once
// RUN --mount, the effectful half (run_mounts.h plans): before the RUN it
// creates cache directories and locks, reads secret values, and then either
// (MountMethod::Namespace) creates missing mount points and private copies
// for read-write binds and produces the MountOps the child performs in its
// own mount namespace, or (MountMethod::Files, where no mount namespace can
// be made) puts each mount in place with file operations (mount_files.h).
// After the RUN it removes everything it created in the image root, so the
// snapshot never sees a mount point stub and nothing a mount brought in
// reaches a layer.
#include <sys/stat.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <string>
#include <vector>

#include "base/env.h"
#include "steps/mount_checks.h"
#include "steps/mount_files.h"
#include "steps/mount_journal.h"
#include "steps/mount_method.h"
#include "fs/ignore_list.h"
#include "log/log.h"
#include "proc/process.h"
#include "steps/run_mounts.h"
#include "steps/step_env.h"

namespace kiln::steps {

// What RUN --mount needs from the build (steps/run_step.h's RunContext is
// this plus the interrupt watcher and the mount-method decider).
// The StepEnv's context_dir is where a bind without from= reads; a
// --cache-dir outside its ignore list would be snapshotted, so cache mounts
// then live in scratch for this build only.
struct MountEnv : StepEnv {
  std::filesystem::path cache_dir;    // --cache-dir; caches live in <cache_dir>/run-cache
  std::map<std::string, SecretFlag> secrets;  // --secret, by id
  // The filesystem of a stage or image named by --mount from=.
  std::function<std::filesystem::path(const std::string& from)> source_root;
  std::string location;  // "line 12", prefixed to errors (set per RUN)
  MountMethod method = MountMethod::Namespace;  // set per RUN from RunContext's decider
  std::filesystem::path journal;  // Files: the build's journal (mount_journal.h)
  // Where caches live when cache_dir is not a volume (a snapshot would take
  // it into a layer): one directory for every stage and platform of the
  // build, so they share caches as they do under cache_dir. Empty:
  // <scratch>/run-cache.
  std::filesystem::path cache_fallback;
  // Set when `root` is a root of its own: the container's root, where the
  // build's other stages snapshot; cache_dir must not be visible there
  // either.
  std::filesystem::path container_root;
};

// Which secret ids have a value: file secrets always (a read failure is an
// error later, naming the file), env secrets when the variable is set.
std::set<std::string> available_secrets(const std::map<std::string, SecretFlag>& secrets, const GetEnv& getenv);

// Holds the mount set-up of one RUN; the destructor undoes it (Files: every
// mount taken out of the root and what it shadowed put back, caches first,
// while still locked; stubs removed, locks released, private copies
// deleted), also when the RUN fails or the build is interrupted.
class MountSession {
 public:
  MountSession(const std::vector<PlannedMount>& plan, const MountEnv& env);
  ~MountSession();
  MountSession(const MountSession&) = delete;
  MountSession& operator=(const MountSession&) = delete;

  // Namespace: what the child mounts. Files: empty (already in place).
  const std::vector<proc::MountOp>& ops() const { return ops_; }
  // "VAR=value" for secret env= mounts; values, never to be logged.
  const std::vector<std::string>& env() const { return secret_env_; }
  // After the command: throws kiln::Error (after detaching them) when any
  // mount shows up in this process's namespace, which only shared mount
  // propagation could cause; the snapshot must never see mounted content.
  void check_no_leak(std::string_view mountinfo_text) const;
  // After the command, Files only (mount_checks.h): a message naming the
  // mount when the command changed a read-only bind's copy or left more bytes
  // in a tmpfs directory than its size=; the step must then fail.
  std::optional<std::string> broken_promise() const;

 private:
  // Files: a promise a mount would keep by itself, checked after the command.
  struct Watch {
    std::string raw;                  // the --mount value, for the message
    std::string target;               // in-image path
    std::filesystem::path host;       // where it is in the root
    std::optional<TreeStamp> before;  // read-only bind: the copy as given
    std::optional<std::int64_t> size;  // tmpfs size=
  };
  struct Stub {
    std::vector<std::filesystem::path> created;  // parents first
    std::filesystem::path anchor;                // deepest directory that existed
    struct timespec anchor_before {};            // its mtime before we created anything
    struct timespec anchor_after {};             // and right after
  };

  void prepare(const PlannedMount& p, std::vector<proc::MountOp>& secret_ops);
  std::filesystem::path mount_point(const std::string& target, bool directory, const std::string& raw);
  // Files: the target resolved in the root; what is there must be of the
  // right type (it is moved aside during the RUN).
  std::filesystem::path file_target(const std::string& target, bool directory, const std::string& raw);
  std::filesystem::path cache_directory(const PlannedMount& p);
  std::filesystem::path private_dir(const std::string& kind);
  std::filesystem::path filtered_context(const PlannedMount& p, const std::filesystem::path& src, bool directory);
  void undo() noexcept;

  MountEnv env_;
  std::vector<proc::MountOp> ops_;
  std::vector<std::string> secret_env_;
  std::vector<std::string> targets_;  // host paths mounted on in the child
  std::vector<Stub> stubs_;
  std::vector<int> lock_fds_;
  std::set<std::string> locked_keys_;  // caches this session holds
  std::vector<std::filesystem::path> private_dirs_;  // removed after the RUN
  int private_count_ = 0;
  std::unique_ptr<MountJournal> journal_;  // Files only
  std::unique_ptr<FileMounts> files_;      // Files only
  std::vector<Watch> watches_;             // Files only
};

}  // namespace kiln::steps
