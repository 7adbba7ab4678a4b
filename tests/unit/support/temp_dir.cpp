#include "support/temp_dir.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace kiln::testing {

TempDir::TempDir(const std::string& prefix) {
  std::string t = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp " + t);
  path_ = t;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::str(const std::string& name) const {
  return name.empty() ? path_.string() : (path_ / name).string();
}

void TempDir::write(const std::string& rel, const std::string& text, bool exec) const {
  std::filesystem::create_directories((path_ / rel).parent_path());
  std::ofstream(path_ / rel, std::ios::binary | std::ios::trunc) << text;
  if (exec) ::chmod((path_ / rel).c_str(), 0755);
}

std::string TempDir::read(const std::string& rel) const {
  std::ifstream in(path_ / rel, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace kiln::testing
