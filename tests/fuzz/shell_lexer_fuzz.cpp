// libFuzzer target for the shell lexer. Input: the first byte picks the
// escape character (bit 0: backtick) and the entry point (bit 1:
// process_words); the rest is the word. A kiln::Error is the expected answer
// to bad input; any other exception, a crash, a leak or UB is a finding, and
// so is a broken invariant (checked with __builtin_trap).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "dockerfile/shell_lexer.h"

using kiln::dockerfile::env_from_list;
using kiln::dockerfile::ShellLexer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view word(reinterpret_cast<const char*>(data + 1), size - 1);
  // Values exercise patterns, white space, multi-byte text, escapes and
  // the Go-template dollars of ${v//p/r}.
  static const auto fixed = env_from_list({"A=abc", "B=", "S=a b  c ", "P=*x?", "U=한국어", "E=\\*\\\\",
                                         "D=$0$$", "N=\nx\n", "1=one", "@=at", "LONG=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"});
  // $IN is the input itself (capped), so patterns also meet arbitrary values.
  const std::string in(word.substr(0, 256));
  const kiln::dockerfile::EnvLookup env = [&](std::string_view name) -> std::optional<std::string> {
    if (name == "IN") return in;
    return fixed(name);
  };
  const ShellLexer lexer((mode & 1) ? '`' : '\\');
  try {
    if (mode & 2) {
      for (const auto& w : lexer.process_words(word, env))
        if (w.empty()) __builtin_trap();  // empty words are dropped
    } else {
      auto ex = lexer.process_word_with_matches(word, env);
      if (lexer.process_word(word, env) != ex.word) __builtin_trap();  // deterministic
      for (const auto& name : ex.used)
        if (ex.unset.count(name) != 0) __builtin_trap();  // a name is either set or not
    }
  } catch (const kiln::Error&) {
  }
  return 0;
}
