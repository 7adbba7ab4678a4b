#pragma once
// What the executor's subcommands (login, push) get from main(): the
// environment and stdin, injected so nothing reads process state directly.
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"

#include "cli/registry_flags.h"
#include "log/log.h"

namespace kiln::cmd {

struct CommandIo {
  cli::GetEnv getenv;
  std::function<std::string()> read_stdin;  // all of it
};

// --verbosity / --log-format / --log-timestamp as the executor reads them
// (colour only on a terminal). Throws kiln::UsageError for unknown names.
log::Logger::Options command_logger_options(const std::string& verbosity, const std::string& format,
                                            bool timestamp);

// Runs a command's work and reports what it throws: a UsageError as it is,
// any other error after `what` ("error pushing image: …"). Returns the exit
// code: 0, or 1 after an error.
int report_errors(log::Logger& log, const std::string& what, const std::function<void()>& body);

// The start every subcommand shares: parse its options, answer --help,
// validate, and make the logger's options. Returns nullopt when the command
// is already done: help printed (exit 0) or a usage error reported on stderr
// (exit 1); `exit_code` says which.
template <class Options, class Parse, class Usage>
std::optional<std::pair<Options, log::Logger::Options>> start_command(const std::vector<std::string>& args,
                                                                     const CommandIo& io, Parse parse, Usage usage,
                                                                     int& exit_code) {
  try {
    Options o = parse(args, io.getenv);
    if (o.help) {
      std::cout << usage();
      exit_code = 0;
      return std::nullopt;
    }
    validate(o);  // found by argument-dependent lookup in kiln::cli
    auto lo = command_logger_options(o.verbosity, o.log_format, o.log_timestamp);
    return std::make_pair(std::move(o), lo);
  } catch (const Error& e) {
    std::fprintf(stderr, "Error: %s\n", e.what());
    exit_code = 1;
    return std::nullopt;
  }
}

}  // namespace kiln::cmd
