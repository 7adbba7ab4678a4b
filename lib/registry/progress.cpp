#include "registry/progress.h"

#include <cstdio>

namespace kiln::registry {

std::string human_bytes(std::int64_t n) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000 && u < 4) {
    v /= 1000;
    ++u;
  }
  char buf[32];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(n));
  else
    std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

Progress::Progress(log::Logger& log, std::string verb, const std::string& digest, std::int64_t total,
                   std::chrono::milliseconds interval)
    : log_(log), total_(total), interval_(interval), last_(std::chrono::steady_clock::now()) {
  auto colon = digest.find(':');
  std::string shortd = colon == std::string::npos ? digest : digest.substr(0, std::min(digest.size(), colon + 13));
  prefix_ = std::move(verb) + " " + shortd + "\xE2\x80\xA6 ";  // U+2026, plain UTF-8 text
}

void Progress::add(std::size_t n) {
  done_ += static_cast<std::int64_t>(n);
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < interval_) return;
  last_ = now;
  log_.info(prefix_ + human_bytes(done_) + " / " + human_bytes(total_));
}

}  // namespace kiln::registry
