#pragma once
// A small command-line parser with the semantics of Go's pflag, which kaniko
// uses, so that every command line that works with kaniko parses the same way:
//   --name=value, --name value, -n value, -nvalue, --bool, --bool=false,
//   repeatable list flags, key=value map flags, and `--` ending the flags.
// Flags are described by a table; the parser writes through setters into an
// options struct owned by the caller. No global state.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::cli {

enum class FlagKind { Bool, Value };

struct Flag {
  std::string name;                 // kebab-case, without dashes
  std::vector<std::string> aliases; // other spellings (kaniko's camelCase names)
  char shorthand = 0;
  FlagKind kind = FlagKind::Value;
  std::string value_name;           // shown in --help: "string", "multi-arg", ...
  std::string help;
  std::string default_text;         // shown in --help as (default "…")
  bool hidden = false;
  // Called once per occurrence with the raw value ("true"/"false" for bools).
  // Throws kiln::UsageError to reject a value.
  std::function<void(std::string_view)> set;
};

struct ParseResult {
  std::vector<std::string> positional;  // arguments that are not flags
};

class FlagSet {
 public:
  explicit FlagSet(std::string program) : program_(std::move(program)) {}
  void add(Flag f) { flags_.push_back(std::move(f)); }

  // Throws kiln::UsageError naming the flag for unknown flags, missing values
  // and rejected values.
  ParseResult parse(const std::vector<std::string>& args) const;

  // Usage text in the shape cobra prints, flags sorted by name.
  std::string usage(std::string_view synopsis) const;

  const Flag* find(std::string_view name) const;

 private:
  std::string program_;
  std::vector<Flag> flags_;
};

// Value parsers shared by the option tables.
bool parse_bool(std::string_view flag, std::string_view v);
int parse_int(std::string_view flag, std::string_view v);
// Go time.Duration syntax ("336h0m0s", "6h", "1h30m", "90s", "500ms").
// Returns whole seconds.
long long parse_duration_seconds(std::string_view flag, std::string_view v);
// "key=value" split at the first '='; throws when there is no '='.
std::pair<std::string, std::string> split_key_value(std::string_view flag, std::string_view v);

}  // namespace kiln::cli
