#pragma once
// A scratch image root for one test, removed afterwards, plus small helpers
// to populate it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace kiln::fs::test {

class TempRoot {
 public:
  TempRoot() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "kiln-fs-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
  }
  ~TempRoot() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }

  void write(const std::string& rel, const std::string& data) const {
    std::filesystem::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel, std::ios::binary | std::ios::trunc) << data;
  }
  std::string read(const std::string& rel) const {
    std::ifstream f(path_ / rel, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  void mkdir(const std::string& rel) const { std::filesystem::create_directories(path_ / rel); }
  void symlink(const std::string& target, const std::string& rel) const {
    std::filesystem::create_directories((path_ / rel).parent_path());
    std::filesystem::create_symlink(target, path_ / rel);
  }

 private:
  std::filesystem::path path_;
};

}  // namespace kiln::fs::test
