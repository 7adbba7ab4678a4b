#pragma once
// Progress of a long blob transfer as plain log lines (no terminal control
// codes, so CI logs stay readable): "Pushing sha256:0123456789ab… 12.3 MB /
// 50.0 MB", at most one line per interval.
#include <chrono>
#include <cstdint>
#include <string>

#include "log/log.h"

namespace kiln::registry {

// "12.3 MB", "512 B", "1.5 GB" (powers of 1000, as docker prints).
std::string human_bytes(std::int64_t n);

class Progress {
 public:
  Progress(log::Logger& log, std::string verb, const std::string& digest, std::int64_t total,
           std::chrono::milliseconds interval);
  void add(std::size_t n);
  std::int64_t done() const { return done_; }

 private:
  log::Logger& log_;
  std::string prefix_;
  std::int64_t total_;
  std::int64_t done_ = 0;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace kiln::registry
