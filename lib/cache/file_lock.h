#pragma once
// An exclusive flock(2) on a lock file, held for the object's lifetime.
// flock works across processes and across containers that share a volume
// (same kernel), which is how several warmers fill one cache.
#include <filesystem>

namespace kiln::cache {

class FileLock {
 public:
  // Creates the file if needed and blocks until the lock is ours. Throws
  // kiln::IoError naming the file when it cannot be opened or locked.
  explicit FileLock(const std::filesystem::path& file);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace kiln::cache
