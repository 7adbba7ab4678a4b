#include "registry/blob_download.h"

#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>
#include <thread>

#include "base/error.h"

namespace kiln::registry {
namespace fsys = std::filesystem;

void download_to_file(const std::function<void(const BlobSink&)>& fetch, const fsys::path& dest,
                      const BlobSink* also) {
  std::error_code ec;
  fsys::create_directories(dest.parent_path(), ec);
  // Unique per thread, so two callers downloading the same blob never share
  // a temporary file.
  fsys::path tmp = dest;
  tmp += ".partial-" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw IoError("opening " + tmp.string() + ": " + std::error_code(errno, std::generic_category()).message());
  try {
    fetch([f, &tmp, also](const char* p, std::size_t n) {
      if (std::fwrite(p, 1, n, f) != n) throw IoError("writing " + tmp.string());
      if (also) (*also)(p, n);
    });
  } catch (...) {
    std::fclose(f);
    fsys::remove(tmp, ec);
    throw;
  }
  if (std::fclose(f) != 0) {
    fsys::remove(tmp, ec);
    throw IoError("writing " + tmp.string());
  }
  fsys::rename(tmp, dest, ec);
  if (ec) throw IoError("renaming " + tmp.string() + ": " + ec.message());
}

}  // namespace kiln::registry
