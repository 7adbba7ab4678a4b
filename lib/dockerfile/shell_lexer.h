#pragma once
// Word expansion as BuildKit's shell lexer does it (frontend/dockerfile/shell):
// quotes, escapes and $-expansion for the instructions that expand variables
// (FROM, ADD, COPY, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR,
// ONBUILD's inner instruction, ARG, and the flags of those). RUN/CMD/ENTRYPOINT
// bodies are never passed through here.
#include <cstddef>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::dockerfile {

// Looks a variable up; nullopt when unset (which differs from set-but-empty for
// ${v-w} versus ${v:-w}).
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Builds an EnvLookup over "KEY=VALUE" strings; the last assignment wins.
EnvLookup env_from_list(const std::vector<std::string>& kv);

struct Expansion {
  std::vector<std::string> words;
  std::set<std::string> used;  // names that were looked up and were set
  std::set<std::string> unset; // names that were looked up and were not set
  std::string word;            // the unsplit result, as process_word returns it
};

class ShellLexer {
 public:
  explicit ShellLexer(char escape = '\\') : escape_(escape) {}

  // Expands one word: quotes removed, variables replaced; white space inside
  // the result is kept (no splitting). Throws kiln::UsageError on a syntax
  // error (unterminated quote, bad ${...}, ${v:?msg} with v unset or empty).
  std::string process_word(std::string_view word, const EnvLookup& env) const;

  // Expands and splits into words at unquoted white space, as BuildKit's
  // ProcessWords does (used for the plain form of VOLUME, EXPOSE, etc).
  std::vector<std::string> process_words(std::string_view text, const EnvLookup& env) const;

  // Like process_word but also reports which variables were consulted (for
  // Docker's "unused build-arg" warning and for cache keys).
  Expansion process_word_with_matches(std::string_view word, const EnvLookup& env) const;

  char escape() const { return escape_; }

  // Nesting limit for ${...} inside ${...}: BuildKit has none (Go stacks grow),
  // but a C++ stack does not, and no real Dockerfile nests this deep.
  static constexpr int kMaxNesting = 200;
  // Limit on what one ${v//p/r} may produce. Replace-all multiplies sizes, so
  // nesting it (r containing another ${v//p/r}) grows the result
  // exponentially: a 100-byte word could ask for gigabytes. Linux refuses
  // any single environment string over 128 KiB anyway.
  static constexpr size_t kMaxReplaceResult = size_t{1} << 18;

 private:
  char escape_;
};

}  // namespace kiln::dockerfile
