#include "dockerfile/heredoc.h"

#include <optional>

#include "base/error.h"
#include "base/text.h"
#include "dockerfile/line_words.h"

namespace kiln::dockerfile {
namespace {

// Splits like the shell would (quotes group, backslash escapes) but keeps the
// quotes, so `echo "<<EOF"` yields the word "\"<<EOF\"" which is no heredoc.
std::vector<std::string> shell_words_raw(std::string_view line) {
  return split_raw_words(line, '\\');
}

struct Unquoted {
  std::string text;
  bool had_quotes = false;
  bool several_words = false;
};

std::optional<Unquoted> unquote_word(std::string_view raw) {
  Unquoted u;
  char quote = 0;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (quote == 0) {
      if (c == '\'' || c == '"') {
        quote = c;
        u.had_quotes = true;
        continue;
      }
      if (c == '\\' && i + 1 < raw.size()) {
        u.text += raw[++i];
        continue;
      }
      if (is_space(c)) {
        u.several_words = true;
        continue;
      }
      u.text += c;
      continue;
    }
    if (c == quote) {
      quote = 0;
      continue;
    }
    if (quote == '"' && c == '\\' && i + 1 < raw.size() &&
        (raw[i + 1] == '"' || raw[i + 1] == '\\' || raw[i + 1] == '$')) {
      u.text += raw[++i];
      continue;
    }
    u.text += c;
  }
  if (quote != 0) return std::nullopt;
  return u;
}

}  // namespace

std::vector<Heredoc> find_heredocs(std::string_view line) {
  std::vector<Heredoc> docs;
  std::vector<std::string> words = shell_words_raw(line);
  for (size_t w = 0; w < words.size(); ++w) {
    std::string word = words[w];
    // [digits]<<[-]rest, where rest holds no further '<'.
    size_t i = 0;
    while (i < word.size() && word[i] >= '0' && word[i] <= '9') ++i;
    if (word.compare(i, 2, "<<") != 0) continue;
    std::string digits = word.substr(0, i);
    i += 2;
    bool chomp = false;
    if (i < word.size() && word[i] == '-') {
      chomp = true;
      ++i;
    }
    // "<< EOF" and "<<- EOF": the delimiter may be the next word. BuildKit
    // joins them with a space, so "<< -EOF" names "-EOF".
    if (i == word.size() && w + 1 < words.size()) {
      word += " " + words[++w];
    }
    std::string_view rest = trim_left(std::string_view(word).substr(i));
    if (rest.empty() || rest.find('<') != std::string_view::npos) continue;
    auto u = unquote_word(rest);
    if (!u) throw kiln::UsageError("unterminated quote in heredoc delimiter " + word);
    if (u->several_words || u->text.empty()) continue;
    Heredoc h;
    h.name = u->text;
    h.expand = !u->had_quotes;
    h.chomp = chomp;
    h.fd = digits.empty() ? 0 : static_cast<unsigned>(std::stoul(digits.substr(0, 9)));
    docs.push_back(std::move(h));
  }
  return docs;
}

std::string chomp_heredoc(std::string_view content) {
  std::string out;
  bool line_start = true;
  for (char c : content) {
    if (line_start && c == '\t') continue;
    line_start = (c == '\n');
    out += c;
  }
  return out;
}

}  // namespace kiln::dockerfile
