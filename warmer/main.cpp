// kiln warmer: pre-fetches base images into --cache-dir, where
// `executor --cache=true --cache-dir=…` finds them. See README.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/process_env.h"
#include "cli/warmer_options.h"
#include "cmd/subcommand.h"
#include "cmd/warm_command.h"
#include "log/log.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  kiln::cli::WarmerOptions opts;
  kiln::log::Logger::Options lo;
  try {
    opts = kiln::cli::parse_warmer_options(args, kiln::process_env);
    if (opts.help || (!opts.positional.empty() && opts.positional[0] == "help")) {
      std::cout << kiln::cli::warmer_usage();
      return 0;
    }
    kiln::cli::validate(opts);
    lo = kiln::cmd::command_logger_options(opts.verbosity, opts.log_format, opts.log_timestamp);
  } catch (const kiln::Error& e) {
    std::fprintf(stderr, "Error: %s\n", e.what());
    return 1;
  }
  kiln::log::Logger log(lo);
  return kiln::cmd::run_warm(opts, kiln::process_env, log);
}
