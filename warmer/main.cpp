// kiln warmer: pre-fetches base images into --cache-dir, where
// `executor --cache=true --cache-dir=…` finds them. See README.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "base/error.h"
#include "cli/warmer_options.h"
#include "cmd/warm_command.h"
#include "log/log.h"

namespace {

std::optional<std::string> getenv_opt(std::string_view name) {
  if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
  return std::nullopt;
}

kiln::log::Logger::Options logger_options(const kiln::cli::WarmerOptions& o) {
  kiln::log::Logger::Options lo;
  lo.level = kiln::log::parse_level(o.verbosity);
  lo.format = kiln::log::parse_format(o.log_format);
  if (lo.format == kiln::log::Format::Color && !isatty(STDERR_FILENO)) lo.format = kiln::log::Format::Text;
  lo.timestamp = o.log_timestamp;
  return lo;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  kiln::cli::WarmerOptions opts;
  kiln::log::Logger::Options lo;
  try {
    opts = kiln::cli::parse_warmer_options(args, getenv_opt);
    if (opts.help || (!opts.positional.empty() && opts.positional[0] == "help")) {
      std::cout << kiln::cli::warmer_usage();
      return 0;
    }
    kiln::cli::validate(opts);
    lo = logger_options(opts);
  } catch (const kiln::Error& e) {
    std::fprintf(stderr, "Error: %s\n", e.what());
    return 1;
  }
  kiln::log::Logger log(lo);
  return kiln::cmd::run_warm(opts, getenv_opt, log);
}
