#pragma once
// The --name=value flags in front of an instruction's arguments. Each
// instruction declares which flags it accepts and their kinds; anything else
// is rejected with a suggestion, as BuildKit's BFlags does.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::dockerfile {

enum class FlagKind { Bool, String, Strings };

class BuilderFlags {
 public:
  void declare(std::string name, FlagKind kind) { kinds_[std::move(name)] = kind; }

  // Parses "--name=value" words. Throws kiln::UsageError (message without
  // location) on unknown, duplicate or malformed flags.
  void parse(const std::vector<std::string>& words);

  bool boolean(const std::string& name) const;                   // false when absent
  std::string string(const std::string& name) const;             // "" when absent
  bool present(const std::string& name) const { return values_.count(name) > 0; }
  std::vector<std::string> strings(const std::string& name) const;  // every occurrence

 private:
  std::map<std::string, FlagKind> kinds_;
  std::map<std::string, std::vector<std::string>> values_;
};

}  // namespace kiln::dockerfile
