#pragma once
// A scratch image root for one test, removed afterwards (the support
// library's TempDir), plus the two helpers the fs tests add to populate it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/temp_dir.h"

namespace kiln::fs::test {

class TempRoot : public kiln::testing::TempDir {
 public:
  TempRoot() : TempDir("kiln-fs") {}

  void mkdir(const std::string& rel) const { std::filesystem::create_directories(path() / rel); }
  void symlink(const std::string& target, const std::string& rel) const {
    std::filesystem::create_directories((path() / rel).parent_path());
    std::filesystem::create_symlink(target, path() / rel);
  }
};

}  // namespace kiln::fs::test
