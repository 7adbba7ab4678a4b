#include "dockerfile/line_words.h"

#include "base/text.h"

namespace kiln::dockerfile {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::vector<std::string> split_whitespace(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

std::vector<std::string> split_raw_words(std::string_view text, char escape) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  bool blank_ok = false;  // a quoted empty string ("") is still a word
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quote == 0) {
      if (is_space(c)) {
        if (in_word && (blank_ok || !word.empty())) words.push_back(word);
        word.clear();
        in_word = blank_ok = false;
        continue;
      }
      in_word = true;
      if (c == escape) {
        // An escape at the very end is dropped; otherwise it and the next
        // character stay together so a quote after it opens nothing.
        if (i + 1 == text.size()) continue;
        word += c;
        word += text[++i];
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        blank_ok = true;
      }
      word += c;
      continue;
    }
    // Inside quotes: the escape character works except inside single quotes.
    if (c == quote) {
      quote = 0;
      word += c;
      continue;
    }
    if (c == escape && quote != '\'') {
      if (i + 1 == text.size()) {
        quote = 0;
        continue;
      }
      word += c;
      word += text[++i];
      continue;
    }
    word += c;
  }
  if (in_word && (blank_ok || !word.empty())) words.push_back(word);
  return words;
}

FlagsAndRest extract_flags(std::string_view line) {
  FlagsAndRest out;
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    if (i >= n) return out;
    if (!(line[i] == '-' && i + 1 < n && line[i + 1] == '-')) {
      out.rest = std::string(line.substr(i));
      return out;
    }
    std::string word;
    bool blank_ok = false;
    char quote = 0;
    for (; i < n; ++i) {
      char c = line[i];
      if (quote == 0 && is_space(c)) break;
      if (quote == 0 && (c == '\'' || c == '"')) {
        quote = c;
        blank_ok = true;
        continue;
      }
      if (quote != 0 && c == quote) {
        quote = 0;
        continue;
      }
      if (c == '\\') {
        if (i + 1 == n) {
          quote = 0;
          continue;
        }
        c = line[++i];
      }
      word += c;
    }
    if (word == "--") {
      out.rest = std::string(trim_left(line.substr(i)));
      return out;
    }
    if (blank_ok || !word.empty()) out.flags.push_back(word);
  }
}

}  // namespace kiln::dockerfile
