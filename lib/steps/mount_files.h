#pragma once
// RUN --mount without a mount namespace (mount_method.h): each mount given by
// ordinary file operations in the root, with what a mount would show.
//  - what the image has at a target is moved aside (into the build's work
//    directory, which no snapshot sees) and put back after;
//  - missing parent directories are created, and removed after when empty;
//  - a cache directory is renamed onto the target (O(1)), or copied when it
//    is on another filesystem (a volume) and copied back after;
//  - a bind is a copy (the source is never written), a tmpfs an empty
//    directory, a secret a file with its mode and owner; all removed after.
// Every change is journalled (mount_journal.h) before it is made, and
// restore() (also run by the destructor, so on every exit path) undoes them
// newest first and puts the parent directories' mtimes back unless the
// command changed them, all before the RUN's snapshot.
#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string_view>
#include <vector>

#include "steps/mount_journal.h"
#include "log/log.h"

namespace kiln::steps {

class FileMounts {
 public:
  // aside_dir: where shadowed content waits (created here), on the root's
  // filesystem if possible so that moving it is a rename.
  FileMounts(MountJournal& journal, std::filesystem::path aside_dir, log::Logger* log);
  ~FileMounts() { restore(); }
  FileMounts(const FileMounts&) = delete;
  FileMounts& operator=(const FileMounts&) = delete;

  // target: a host path already resolved inside the root, of the right type
  // or absent (the caller checks).
  void move_in(const std::filesystem::path& cache_dir, const std::filesystem::path& target);
  void copy_in(const std::filesystem::path& src, const std::filesystem::path& target);
  void empty_dir(const std::filesystem::path& target);
  // data may be a secret: it is never logged and never journalled.
  void write_file(const std::filesystem::path& target, std::string_view data, mode_t mode, uid_t uid, gid_t gid);

  void restore() noexcept;

 private:
  struct DirTime {
    struct timespec before {};  // before kiln changed the directory
    struct timespec after {};   // after kiln's last change
  };
  void clear_target(const std::filesystem::path& target);
  void note(const JournalEntry& e);  // journal, then remember for restore()
  void touch_begin(const std::filesystem::path& dir);
  void touch_end(const std::filesystem::path& dir);

  MountJournal& journal_;
  std::filesystem::path aside_dir_;
  log::Logger* log_;
  int aside_count_ = 0;
  std::vector<JournalEntry> done_;
  std::map<std::filesystem::path, DirTime> dir_times_;
};

// Undoes one journal entry (see JournalEntry). Idempotent: an entry already
// undone, or whose change never happened because the process died first,
// does nothing. replay: taken from a dead build's journal, so a cache is
// moved back under its lock. Never throws; problems go to the log (may be null).
void undo_entry(const JournalEntry& e, bool replay, log::Logger* log) noexcept;

// Replays the journals of dead builds below work_root (<kaniko-dir>/work),
// newest entry first, and empties them; journals still locked by a live
// build are left alone. Returns how many were replayed.
int replay_stale_journals(const std::filesystem::path& work_root, log::Logger& log);

}  // namespace kiln::steps
