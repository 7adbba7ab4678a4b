#pragma once
// Parser directives: "# escape=`", "# syntax=...", "# check=..." at the very
// top of a Dockerfile, before any comment, blank line or instruction.
#include <optional>
#include <string>
#include <string_view>

namespace kiln::dockerfile {

struct Directive {
  std::string name;   // lower case
  std::string value;  // trimmed
};

// Recognises a line of the form "# name = value" (name is letters and digits,
// starting with a letter). Returns nullopt for anything else.
std::optional<Directive> match_directive(std::string_view line);

}  // namespace kiln::dockerfile
