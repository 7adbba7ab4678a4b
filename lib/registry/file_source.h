#pragma once
// A blob to push that lives in a file (a layer written by the build, a
// cached or downloaded blob).
#include <cstdio>
#include <filesystem>

#include "registry/blob_source.h"

namespace kiln::registry {

class FileSource : public BlobSource {
 public:
  explicit FileSource(const std::filesystem::path& path);  // throws IoError naming the file
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  std::size_t read(char* buf, std::size_t n) override;

 private:
  std::FILE* f_;
  std::filesystem::path path_;
};

}  // namespace kiln::registry
