// libFuzzer target for .dockerignore. Input: the ignore file text, then a NUL
// byte, then slash-separated paths one a line. Beyond crashes, leaks and UB it
// checks the promise a context walker relies on: when a path is re-included
// below an excluded directory, may_reinclude_below(directory) is true.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "dockerfile/dockerignore.h"

using kiln::dockerfile::IgnoreMatcher;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  std::string_view file = in.substr(0, nul);
  std::string_view paths = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1);
  try {
    const auto m = IgnoreMatcher::parse(file);
    m.patterns();
    size_t checked = 0;
    for (size_t start = 0; start <= paths.size() && checked < 16; ++checked) {
      size_t end = paths.find('\n', start);
      if (end == std::string_view::npos) end = paths.size();
      const std::string path(paths.substr(start, end - start));
      start = end + 1;
      const bool path_excluded = m.excluded(path);
      const std::string clean = kiln::dockerfile::clean_path(path);
      // Every proper ancestor of the path that is excluded must not be
      // prunable when the path itself is included.
      for (size_t k = clean.find('/'); k != std::string::npos; k = clean.find('/', k + 1)) {
        if (k == 0) continue;
        const std::string dir = clean.substr(0, k);
        if (!path_excluded && m.excluded(dir) && !m.may_reinclude_below(dir)) __builtin_trap();
      }
    }
  } catch (const kiln::Error&) {
  }
  return 0;
}
