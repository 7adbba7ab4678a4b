#include "base/file.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace kiln {

std::optional<std::string> read_file_if_present(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string read_file(const std::filesystem::path& p) {
  auto s = read_file_if_present(p);
  if (!s) throw SystemError("reading " + p.string(), errno);
  return *s;
}

}  // namespace kiln
