#include "image/atomic_file.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/error.h"
#include "digest/sha256.h"

namespace kiln::image {

namespace {

// An open temporary file next to dest that deletes itself unless committed.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& dest) : dest_(dest) {
    tmp_ = (dest.parent_path() / ("." + dest.filename().string() + ".tmp-XXXXXX")).string();
    fd_ = ::mkstemp(tmp_.data());
    if (fd_ < 0) throw SystemError("creating temporary file for " + dest.string(), errno);
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(tmp_.c_str());
  }
  void write(const char* p, std::size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw SystemError("writing " + dest_.string(), errno);
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }
  void commit() {
    // Blobs and index files are read by other tools: ordinary permissions,
    // not mkstemp's 0600.
    ::fchmod(fd_, 0644);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw SystemError("closing " + dest_.string(), errno);
    if (::rename(tmp_.c_str(), dest_.c_str()) != 0)
      throw SystemError("renaming into " + dest_.string(), errno);
    committed_ = true;
  }

 private:
  std::filesystem::path dest_;
  std::string tmp_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

void write_file_atomic(const std::filesystem::path& dest, std::string_view bytes) {
  TempFile t(dest);
  t.write(bytes.data(), bytes.size());
  t.commit();
}

std::string copy_file_atomic_sha256(const std::filesystem::path& src, const std::filesystem::path& dest,
                                    std::string_view expect_hex) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw SystemError("opening " + src.string(), errno);
  TempFile t(dest);
  digest::Sha256 h;
  std::vector<char> buf(256 * 1024);
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(in);
      throw SystemError("reading " + src.string(), e);
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<std::size_t>(n));
    t.write(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(in);
  std::string hex = h.hex_final();
  if (!expect_hex.empty() && hex != expect_hex)
    throw Error(src.string() + " has digest sha256:" + hex + ", expected sha256:" + std::string(expect_hex));
  t.commit();
  return hex;
}

}  // namespace kiln::image
