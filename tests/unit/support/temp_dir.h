#pragma once
// A directory under $TMPDIR for one test, removed with everything in it when
// the test ends. Shared by the unit tests that need real files (the
// kiln_test_support library every unit binary links).
#include <filesystem>
#include <string>

namespace kiln::testing {

class TempDir {
 public:
  // prefix: a name in $TMPDIR, or an absolute path prefix for a directory
  // elsewhere ("/dev/shm/kiln-x": on another filesystem).
  explicit TempDir(const std::string& prefix = "kiln-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& rel) const { return path_ / rel; }
  // The directory, or a name inside it, as a string (for shell commands).
  std::string str(const std::string& name = "") const;
  // Writes rel (parents created); exec: mode 0755.
  void write(const std::string& rel, const std::string& text, bool exec = false) const;
  // rel's bytes; "" when it cannot be read.
  std::string read(const std::string& rel) const;

 private:
  std::filesystem::path path_;
};

}  // namespace kiln::testing
