#pragma once
// Builders for rows of a flag table; each row captures the field it writes.
// Shared by the executor's, the warmer's, login's and push's tables.
#include <map>
#include <string>
#include <vector>

#include "cli/flags.h"

namespace kiln::cli::rows {

Flag str(std::string name, char sh, std::string* field, std::string help, std::string def = "");
Flag list(std::string name, char sh, std::vector<std::string>* field, std::string help);
Flag boolean(std::string name, bool* field, std::string help, bool def = false);
Flag integer(std::string name, int* field, std::string help);
Flag key_value(std::string name, std::map<std::string, std::string>* field, std::string help);
Flag duration(std::string name, long long* seconds, std::string help, std::string def);
Flag with_aliases(Flag f, std::vector<std::string> aliases);
Flag with_shorthand(Flag f, char sh);
Flag hidden(Flag f);

// The rows every command has: --kaniko-dir, --verbosity (-v), --log-format,
// --log-timestamp and --help. O: an options struct with those fields.
template <class O>
void add_common_flags(FlagSet& fs, O& o, const std::string& command) {
  fs.add(str("kaniko-dir", 0, &o.kaniko_dir, "Path to the kaniko directory (takes precedence over KANIKO_DIR)", "/kaniko"));
  fs.add(str("verbosity", 'v', &o.verbosity, "Log level (trace, debug, info, warn, error, fatal, panic)", "info"));
  fs.add(str("log-format", 0, &o.log_format, "Log format (text, color, json); color only when stderr is a terminal", "color"));
  fs.add(boolean("log-timestamp", &o.log_timestamp, "Timestamp in log output"));
  fs.add(boolean("help", &o.help, "help for " + command));
}

}  // namespace kiln::cli::rows
