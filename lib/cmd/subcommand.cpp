#include "cmd/subcommand.h"

#include <unistd.h>

namespace kiln::cmd {

log::Logger::Options command_logger_options(const std::string& verbosity, const std::string& format,
                                            bool timestamp) {
  log::Logger::Options lo;
  lo.level = log::parse_level(verbosity);
  lo.format = log::parse_format(format);
  // Escape codes only for a terminal, as the build does.
  if (lo.format == log::Format::Color && !isatty(STDERR_FILENO)) lo.format = log::Format::Text;
  lo.timestamp = timestamp;
  return lo;
}

int report_errors(log::Logger& log, const std::string& what, const std::function<void()>& body) {
  try {
    body();
  } catch (const UsageError& e) {
    log.error(e.what());
    return 1;
  } catch (const std::exception& e) {
    log.error(what + ": " + e.what());
    return 1;
  }
  return 0;
}

}  // namespace kiln::cmd
