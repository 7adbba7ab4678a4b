#pragma once
// The journal of RUN --mount by file operations (mount_files.h): every
// change made in the root is written down before it is made,
// so that a build killed mid-RUN (SIGKILL, OOM, a node going away) leaves a
// state the next executor in the same container puts right: the cache moved
// back to its volume, what the image had at a target put back, secrets and
// copies removed, stub directories removed.
//
// The journal lives in the build's work directory and is locked (flock) by
// the build while a RUN's mounts are in place; an unlocked, non-empty
// journal belongs to a dead build and is replayed at the next start
// (mount_files.h: undo_entry, replay_stale_journals).
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::steps {

// The file in a build's work directory.
inline constexpr const char* kMountJournalName = "run-mounts.journal";

struct JournalEntry {
  enum class Op {
    Mkdir,   // a: a directory created to hold a target; undo: rmdir when empty
    Aside,   // a (in the root) moved to b; undo: b back to a
    MoveIn,  // a (a cache directory) renamed to b (the target); undo: b back to a
    CopyIn,  // a (a cache on another filesystem) copied to b; undo: b copied back into a, b removed
    Placed,  // a created (a copy, an empty directory, a secret file); undo: removed
  };
  Op op = Op::Placed;
  std::string a;
  std::string b;
  bool operator==(const JournalEntry&) const = default;
};

// One line per entry, tab-separated, with '\\', tab and newline escaped so
// any path survives. Pure.
std::string format_entry(const JournalEntry& e);
// Lines that do not parse (a torn last write) are skipped. Pure.
std::vector<JournalEntry> parse_journal(std::string_view text);

class MountJournal {
 public:
  // Opens (creating) and locks the file. Throws kiln::IoError.
  explicit MountJournal(std::filesystem::path file);
  ~MountJournal();
  MountJournal(const MountJournal&) = delete;
  MountJournal& operator=(const MountJournal&) = delete;

  // Appends (one write) before the caller makes the change.
  void record(const JournalEntry& e);
  // Everything was undone: empties the file.
  void clear() noexcept;

 private:
  std::filesystem::path file_;
  int fd_ = -1;
};

}  // namespace kiln::steps
