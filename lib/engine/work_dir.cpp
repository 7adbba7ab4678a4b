#include "engine/work_dir.h"

#include <unistd.h>

#include <chrono>
#include <string>

#include "base/error.h"

namespace kiln::engine {

WorkDir::WorkDir(const std::filesystem::path& kaniko_dir) {
  auto stamp = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  path_ = kaniko_dir / "work" / ("build-" + std::to_string(getpid()) + "-" + std::to_string(stamp));
  create_dirs();
}

WorkDir::WorkDir(At, std::filesystem::path path) : path_(std::move(path)) { create_dirs(); }

WorkDir WorkDir::nested(const std::string& name) const { return WorkDir(At{}, path_ / name); }

void WorkDir::create_dirs() const {
  std::error_code ec;
  for (auto d : {blobs(), layers(), stages(), scratch()}) {
    std::filesystem::create_directories(d, ec);
    if (ec) throw IoError("creating work directory " + d.string() + ": " + ec.message());
  }
}

void WorkDir::remove() noexcept {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace kiln::engine
