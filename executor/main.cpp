// kiln executor: kaniko's executor, rebuilt. See README.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/process_env.h"
#include "cli/executor_options.h"
#include "cmd/build_command.h"
#include "cmd/login_command.h"
#include "cmd/manifest_command.h"
#include "cmd/push_command.h"
#include "cmd/subcommand.h"
#include "kiln_version.h"
#include "log/log.h"
#include "proc/interrupt.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Subcommands with their own flags (kiln's additions; they need no container).
  if (!args.empty() && (args[0] == "login" || args[0] == "push" || args[0] == "manifest")) {
    kiln::cmd::CommandIo io{kiln::process_env, [] {
                                return std::string(std::istreambuf_iterator<char>(std::cin), {});
                              }};
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "login") return kiln::cmd::run_login(rest, io);
    return args[0] == "push" ? kiln::cmd::run_push(rest, io) : kiln::cmd::run_manifest(rest, io);
  }
  kiln::cli::ExecutorOptions opts;
  try {
    opts = kiln::cli::parse_executor_options(args, kiln::process_env);
  } catch (const kiln::Error& e) {
    std::fprintf(stderr, "Error: %s\n", e.what());
    return 1;
  }
  if (opts.help || (!opts.positional.empty() && opts.positional[0] == "help")) {
    std::cout << kiln::cli::executor_usage();
    return 0;
  }
  if (opts.version || (!opts.positional.empty() && opts.positional[0] == "version")) {
    std::cout << "Kiln version : " << KILN_VERSION << " (" << KILN_REVISION << ")\n";
    return 0;
  }
  if (!opts.positional.empty()) {
    std::fprintf(stderr, "Error: unknown command \"%s\" for \"executor\"\n", opts.positional[0].c_str());
    return 1;
  }
  kiln::log::Logger::Options lo;
  try {
    lo = kiln::cmd::command_logger_options(opts.verbosity, opts.log_format, opts.log_timestamp);
    kiln::cli::validate(opts);
  } catch (const kiln::Error& e) {
    std::fprintf(stderr, "Error: %s\n", e.what());
    return 1;
  }
  kiln::log::Logger log(lo);
  // Before run_build starts any thread (see proc/interrupt.h).
  kiln::proc::Interrupt interrupt;
  try {
    kiln::cmd::Environment env;
    env.getenv = kiln::process_env;
    env.interrupt = &interrupt;
    kiln::cmd::run_build(opts, env, log);
  } catch (const kiln::proc::Interrupted& e) {
    log.error(std::string(e.what()) + "; build stopped before the push, no destination written");
    return 128 + e.signal();
  } catch (const kiln::UsageError& e) {
    log.error(e.what());
    return 1;
  } catch (const std::exception& e) {
    // A signal that came during a registry transfer stops the transfer
    // (http::Cancelled) rather than waiting for it, so the error seen here
    // is that transfer's; the signal is the cause.
    if (int sig = interrupt.signal()) {
      log.error("build interrupted by " + kiln::proc::signal_name(sig) + " (" + e.what() +
                "); build stopped, nothing tagged after the signal");
      return 128 + sig;
    }
    log.error(std::string("error building image: ") + e.what());
    // kaniko ends with a failing RUN's own exit code; CI scripts branch on it.
    if (auto* run = dynamic_cast<const kiln::ExitCodeError*>(&e); run && run->exit_code() > 0 && run->exit_code() < 256)
      return run->exit_code();
    return 1;
  }
  return 0;
}
