#include "dockerfile/directives.h"

#include "base/text.h"
#include "dockerfile/line_words.h"

namespace kiln::dockerfile {
namespace {
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
}  // namespace

std::optional<Directive> match_directive(std::string_view line) {
  line = trim(line);
  if (line.empty() || line[0] != '#') return std::nullopt;
  line = trim_left(line.substr(1));
  size_t i = 0;
  if (i >= line.size() || !is_alpha(line[i])) return std::nullopt;
  while (i < line.size() && (is_alpha(line[i]) || is_digit(line[i]))) ++i;
  Directive d;
  d.name = ascii_lower(line.substr(0, i));
  std::string_view rest = trim_left(line.substr(i));
  if (rest.empty() || rest[0] != '=') return std::nullopt;
  rest = trim(rest.substr(1));
  if (rest.empty()) return std::nullopt;
  d.value = std::string(rest);
  return d;
}

}  // namespace kiln::dockerfile
