#include "registry/file_source.h"

#include <cerrno>
#include <system_error>

#include "base/error.h"

namespace kiln::registry {

FileSource::FileSource(const std::filesystem::path& path) : f_(std::fopen(path.c_str(), "rb")), path_(path) {
  if (!f_)
    throw IoError("opening blob " + path.string() + ": " + std::error_code(errno, std::generic_category()).message());
}

FileSource::~FileSource() { std::fclose(f_); }

std::size_t FileSource::read(char* buf, std::size_t n) {
  std::size_t got = std::fread(buf, 1, n, f_);
  if (got == 0 && std::ferror(f_)) throw IoError("reading " + path_.string());
  return got;
}

}  // namespace kiln::registry
