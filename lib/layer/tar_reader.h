#pragma once
// Reads tar entries from a pulled byte stream through libarchive, which
// detects and undoes gzip/zstd itself. Only the tar format is enabled: an
// image layer is a tar, and every other format libarchive knows is attack
// surface we do not need.
#include <archive.h>
#include <archive_entry.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

namespace kiln::layer {

class TarReader {
 public:
  using ReadFn = std::function<std::size_t(char* buf, std::size_t max)>;
  explicit TarReader(const ReadFn& read);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  // The next header, or nullptr at the end. Valid until the next call.
  archive_entry* next();
  // The next block of the current entry's data; false at its end.
  bool data_block(const void** buf, std::size_t* size, std::int64_t* offset);

 private:
  [[noreturn]] void fail(const std::string& what);
  static la_ssize_t on_read(struct archive*, void* self, const void** buf);

  const ReadFn& read_;
  struct archive* ar_ = nullptr;
  std::vector<char> buf_;
  std::exception_ptr source_error_;
  std::string entry_;  // the current entry's name, for errors reading its data
};

}  // namespace kiln::layer
