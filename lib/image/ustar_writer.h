#pragma once
// A minimal ustar writer for the docker-archive tarball: regular files with
// short names only, mode 0644, owner 0, mtime 0, so the same image always
// gives the same tarball. Layers are streamed from disk, never held in memory.
// (Image layers themselves are written by kiln::layer::Writer with libarchive;
// this library does not link libarchive.)
#include <cstdint>
#include <filesystem>
#include <functional>
#include <fstream>
#include <string>
#include <string_view>

namespace kiln::image {

class UstarWriter {
 public:
  // Writes to out (truncating). Throws kiln::IoError naming it.
  explicit UstarWriter(const std::filesystem::path& out);
  // Names up to 100 bytes (throws kiln::Error otherwise).
  void add(std::string_view name, std::string_view bytes);
  void add_file(std::string_view name, const std::filesystem::path& src);
  // Writes the end-of-archive marker and closes the file.
  void finish();

 private:
  void header(std::string_view name, std::uint64_t size);
  void pad(std::uint64_t size);
  void put(const char* p, std::size_t n);

  std::filesystem::path path_;
  std::ofstream out_;
};

// Writes a tarball through `fill` under a temporary name beside out, renamed
// to out once finished: a failure leaves neither out nor the temporary file.
void write_tarball(const std::filesystem::path& out, const std::function<void(UstarWriter&)>& fill);

}  // namespace kiln::image
