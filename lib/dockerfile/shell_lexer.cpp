// Word expansion with the behaviour of BuildKit's shell lexer. The quirks are
// deliberate: a Dockerfile must expand to the same thing here as under
// `docker build`, so where BuildKit differs from POSIX sh we follow BuildKit:
//  - ${v:-w}, ${v:+w}, ${v:?w} expand w even when it is not used (its
//    variables count as consulted, its errors are raised);
//  - ${v:X...} for any X other than - + ? # % is an error, and ${v:#p} and
//    ${v:%p} behave as ${v#p} and ${v%p};
//  - patterns know only * ? and backslash escapes; [ is a literal character;
//    * and ? do not match a newline (they are regexp `.` in BuildKit);
//  - positional and special parameters ($1, $@, $#, ...) are looked up as
//    ordinary names, so they expand to "" unless the environment sets them;
//  - process_words drops empty words, quoted ones ("") included.
// Input is handled as UTF-8; a byte that is not valid UTF-8 is carried through
// unchanged (BuildKit would turn it into U+FFFD).
#include "dockerfile/go_space.h"
#include "dockerfile/shell_lexer.h"
#include "dockerfile/utf8_decode.h"

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>

#include "base/error.h"

namespace kiln::dockerfile {
namespace {

constexpr char32_t kEof = 0xFFFFFFFF;
struct Rune {
  char32_t cp;
  std::string_view raw;  // the bytes it was decoded from
};

Rune decode_rune(std::string_view s, size_t i) {
  Utf8Step d = decode_utf8(s, i);
  return {d.cp, s.substr(i, d.len)};
}

std::vector<std::string_view> split_runes(std::string_view s) {
  std::vector<std::string_view> out;
  for (size_t i = 0; i < s.size();) {
    Rune r = decode_rune(s, i);
    out.push_back(r.raw);
    i += r.raw.size();
  }
  return out;
}

bool is_space(char32_t c) { return is_go_space(c); }

bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }

// Approximates Go's unicode.IsLetter for variable names without carrying the
// Unicode tables: ASCII letters, plus any non-ASCII character outside the
// Latin-1 punctuation, general punctuation/symbol and CJK punctuation blocks.
bool is_letter(char32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  if (c >= kBadByteBase) return false;
  if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;
  if (c == 0xD7 || c == 0xF7) return false;
  if (c >= 0x2000 && c <= 0x2BFF) return false;
  if (c >= 0x3000 && c <= 0x303F) return false;
  if (c >= 0xFF00 && c <= 0xFF20) return false;
  return !is_space(c);
}

// POSIX special parameters; BuildKit reads each as a one-character name.
bool is_special_param(char32_t c) {
  switch (c) {
    case '@': case '*': case '#': case '?': case '-': case '$': case '!': case '0':
      return true;
    default:
      return false;
  }
}

// Escapes control characters (and, for quoting, quotes and backslashes) so
// that an error message showing user input stays on one line.
std::string escape_for_message(std::string_view s, bool quoting = false) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (quoting && (c == '"' || c == '\\')) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string quote(std::string_view s) { return "\"" + escape_for_message(s, true) + "\""; }

// A failure inside the word; process() adds which word it was.
struct LexError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------
// Patterns of ${v#p} ${v%p} ${v/p/r}.

struct PatTok {
  enum Kind { kLiteral, kAny, kStar } kind;
  std::string_view text;  // the character, for kLiteral
};

// Backslash (always backslash, whatever the escape character) may only escape
// * ? and itself; before } or / it is dropped, since those needed escaping to
// get past the ${...} syntax and are not part of the pattern.
std::vector<PatTok> compile_pattern(std::string_view pattern) {
  std::vector<PatTok> toks;
  auto runes = split_runes(pattern);
  for (size_t i = 0; i < runes.size(); ++i) {
    std::string_view r = runes[i];
    if (r == "*") {
      if (toks.empty() || toks.back().kind != PatTok::kStar) toks.push_back({PatTok::kStar, r});
    } else if (r == "?") {
      toks.push_back({PatTok::kAny, r});
    } else if (r == "\\") {
      if (i + 1 < runes.size() && (runes[i + 1] == "}" || runes[i + 1] == "/")) continue;
      if (i + 1 >= runes.size())
        throw LexError("invalid pattern (" + std::string(pattern) + ") in substitution: trailing backslash");
      std::string_view next = runes[++i];
      if (next != "*" && next != "?" && next != "\\")
        throw LexError("invalid pattern (" + std::string(pattern) + ") in substitution: invalid escape '\\" +
                       std::string(next) + "'");
      toks.push_back({PatTok::kLiteral, next});
    } else {
      toks.push_back({PatTok::kLiteral, r});
    }
  }
  return toks;
}

// Reverses a pattern for suffix matching, keeping each backslash in front of
// the character it escapes ("a\*c" -> "c\*a"), pairing left to right.
std::string reverse_pattern(std::string_view pattern) {
  auto runes = split_runes(pattern);
  std::vector<std::string_view> out(runes.size());
  const size_t last = runes.size() - 1;
  for (size_t i = 0; i < runes.size();) {
    const size_t o = last - i;
    if (runes[i] == "\\" && i != last) {
      out[o - 1] = runes[i];
      out[o] = runes[i + 1];
      i += 2;
    } else {
      out[o] = runes[i];
      ++i;
    }
  }
  std::string s;
  for (auto r : out) s += r;
  return s;
}

// Finds matches with the preference order of a backtracking regexp engine
// (what Go's leftmost-first semantics amount to): a greedy * tries the longest
// stretch first, a lazy one the shortest. Results per (star, position) are
// memoised, so the cost stays polynomial however many stars there are.
class GlobSearch {
 public:
  GlobSearch(const std::vector<PatTok>& toks, const std::vector<std::string_view>& text, bool greedy)
      : toks_(toks), text_(text), greedy_(greedy) {
    size_t stars = 0;
    star_index_.resize(toks.size(), 0);
    for (size_t i = 0; i < toks.size(); ++i)
      if (toks[i].kind == PatTok::kStar) star_index_[i] = stars++;
    // Bounded so that a hostile pattern and value cannot exhaust memory;
    // real patterns have a handful of stars and values are short.
    if (stars * (text.size() + 1) > kMaxMemo) throw LexError("pattern too complex for the value it is applied to");
    memo_.assign(stars * (text.size() + 1), kUnknown);
  }

  // End (in runes) of the preferred match starting at `start`, or -1.
  long match_at(size_t start) { return end_from(0, start); }

  // Leftmost match starting at or after `from`: {start, end} or {-1, -1}.
  std::pair<long, long> find(size_t from) {
    for (size_t s = from; s <= text_.size(); ++s) {
      long e = match_at(s);
      if (e >= 0) return {static_cast<long>(s), e};
    }
    return {-1, -1};
  }

 private:
  static constexpr int32_t kUnknown = -2;
  static constexpr size_t kMaxMemo = size_t{1} << 23;

  long end_from(size_t ti, size_t pos) {
    for (; ti < toks_.size() && toks_[ti].kind != PatTok::kStar; ++ti, ++pos) {
      if (pos >= text_.size()) return -1;
      if (toks_[ti].kind == PatTok::kAny) {
        if (text_[pos] == "\n") return -1;
      } else if (text_[pos] != toks_[ti].text) {
        return -1;
      }
    }
    if (ti == toks_.size()) return static_cast<long>(pos);
    int32_t& slot = memo_[star_index_[ti] * (text_.size() + 1) + pos];
    if (slot != kUnknown) return slot;
    size_t limit = pos;  // a star stops at a newline
    while (limit < text_.size() && text_[limit] != "\n") ++limit;
    long result = -1;
    if (greedy_) {
      for (size_t k = limit + 1; k-- > pos && result < 0;) result = end_from(ti + 1, k);
    } else {
      for (size_t k = pos; k <= limit && result < 0; ++k) result = end_from(ti + 1, k);
    }
    slot = static_cast<int32_t>(result);
    return result;
  }

  const std::vector<PatTok>& toks_;
  const std::vector<std::string_view>& text_;
  bool greedy_;
  std::vector<size_t> star_index_;
  std::vector<int32_t> memo_;
};

// The text of runes [from, to); they are consecutive views into one string.
std::string join(const std::vector<std::string_view>& runes, size_t from, size_t to) {
  if (from >= to) return {};
  return std::string(runes[from].data(), runes[to - 1].data() + runes[to - 1].size());
}

std::string trim_prefix(std::string_view pattern, const std::string& value, bool greedy) {
  auto toks = compile_pattern(pattern);
  auto runes = split_runes(value);
  GlobSearch search(toks, runes, greedy);
  long end = search.match_at(0);
  return end < 0 ? value : join(runes, static_cast<size_t>(end), runes.size());
}

// The shortest/longest matching suffix is found as a prefix of the reversed
// value matched against the reversed pattern.
std::string trim_suffix(std::string_view pattern, const std::string& value, bool greedy) {
  std::string reversed = pattern.empty() ? std::string() : reverse_pattern(pattern);
  auto toks = compile_pattern(reversed);
  auto runes = split_runes(value);
  std::vector<std::string_view> backwards(runes.rbegin(), runes.rend());
  GlobSearch search(toks, backwards, greedy);
  long end = search.match_at(0);
  return end < 0 ? value : join(runes, 0, runes.size() - static_cast<size_t>(end));
}

[[noreturn]] void throw_too_big() {
  throw LexError("substitution result exceeds " + std::to_string(ShellLexer::kMaxReplaceResult) + " bytes");
}

// ${v//p/r} goes through Go's Regexp.ReplaceAllString, which reads r as a
// template: $$ is a dollar, $name / ${name} a capture group. The pattern has
// no groups, so only $0 (the whole match; "00" is not 0 to Go) yields text,
// other names yield "", and a '$' that starts no name stays as it is. The
// template is parsed once into literal runs and places for the match.
class ReplaceTemplate {
 public:
  explicit ReplaceTemplate(std::string_view tmpl) {
    auto is_name = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    };
    std::string literal;
    for (size_t i = 0; i < tmpl.size();) {
      const size_t dollar = tmpl.find('$', i);
      if (dollar == std::string_view::npos) {
        literal += tmpl.substr(i);
        break;
      }
      literal += tmpl.substr(i, dollar - i);
      i = dollar + 1;
      if (i < tmpl.size() && tmpl[i] == '$') {
        literal += '$';
        ++i;
        continue;
      }
      std::string_view name;
      if (i < tmpl.size() && tmpl[i] == '{') {
        size_t j = i + 1;
        while (j < tmpl.size() && is_name(tmpl[j])) ++j;
        if (j > i + 1 && j < tmpl.size() && tmpl[j] == '}') {
          name = tmpl.substr(i + 1, j - i - 1);
          i = j + 1;
        }
      } else {
        size_t j = i;
        while (j < tmpl.size() && is_name(tmpl[j])) ++j;
        name = tmpl.substr(i, j - i);
        i = j;
      }
      if (name.empty()) {
        literal += '$';
      } else if (name == "0") {
        parts_.push_back(std::move(literal));
        literal.clear();
      }
    }
    parts_.push_back(std::move(literal));
  }

  // Appends the replacement for one match: parts joined by the match.
  void append(std::string& out, std::string_view match) const {
    for (size_t k = 0; k < parts_.size(); ++k) {
      if (k > 0) out += match;
      out += parts_[k];
      if (out.size() > ShellLexer::kMaxReplaceResult) throw_too_big();
    }
  }

 private:
  std::vector<std::string> parts_;  // literal runs; the match goes between them
};

std::string replace(std::string_view pattern, std::string_view replacement, const std::string& value, bool all) {
  auto toks = compile_pattern(pattern);
  auto runes = split_runes(value);
  GlobSearch search(toks, runes, /*greedy=*/true);
  if (!all) {
    auto [s, e] = search.find(0);
    if (s < 0) return value;
    return join(runes, 0, s) + std::string(replacement) + join(runes, e, runes.size());
  }
  // The loop of Go's replaceAll: an empty match right after a previous match
  // is not replaced, and the search always advances by at least one rune.
  const ReplaceTemplate tmpl(replacement);
  std::string out;
  size_t last_end = 0;
  size_t search_pos = 0;
  while (search_pos <= runes.size()) {
    auto [s, e] = search.find(search_pos);
    if (s < 0) break;
    const auto a = static_cast<size_t>(s), b = static_cast<size_t>(e);
    out += join(runes, last_end, a);
    if (b > last_end || a == 0) tmpl.append(out, join(runes, a, b));
    last_end = b;
    search_pos = search_pos + 1 > b ? search_pos + 1 : b;
  }
  return out + join(runes, last_end, runes.size());
}

// ---------------------------------------------------------------------------
// The lexer proper.

// Builds process_words' output: literal white space and white space produced
// by an expansion separate words; quoted or escaped white space does not.
class WordSplitter {
 public:
  void add_char(const Rune& r) {
    if (!is_space(r.cp)) {
      word_ += r.raw;
    } else if (!word_.empty()) {
      words_.push_back(std::move(word_));
      word_.clear();
    }
  }
  void add_expanded(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
      Rune r = decode_rune(s, i);
      add_char(r);
      i += r.raw.size();
    }
  }
  // Quoted text: joins the current word even when empty, but an empty word
  // is still dropped at the end, as BuildKit does.
  void add_raw(std::string_view s) { word_ += s; }
  std::vector<std::string> finish() {
    if (!word_.empty()) words_.push_back(std::move(word_));
    return std::move(words_);
  }

 private:
  std::string word_;
  std::vector<std::string> words_;
};

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  char32_t peek() const { return pos_ < s_.size() ? decode_rune(s_, pos_).cp : kEof; }
  Rune next() {
    if (pos_ >= s_.size()) return {kEof, {}};
    Rune r = decode_rune(s_, pos_);
    pos_ += r.raw.size();
    return r;
  }
  bool at_end() const { return pos_ >= s_.size(); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

struct Piece {
  std::string text;
  std::vector<std::string> words;
};

class Expander {
 public:
  Expander(std::string_view src, char32_t escape, const EnvLookup& env) : sc_(src), escape_(escape), env_(env) {}

  Piece run() { return stop_on(kEof, false); }
  std::set<std::string>& used() { return used_; }
  std::set<std::string>& unset() { return unset_; }

 private:
  // Reads until `stop` (consumed) or the end of input. With raw_escapes the
  // escape character is kept in the text, for patterns to interpret.
  Piece stop_on(char32_t stop, bool raw_escapes) {
    std::string text;
    WordSplitter words;
    while (!sc_.at_end()) {
      const char32_t c = sc_.peek();
      if (stop != kEof && c == stop) {
        sc_.next();
        return {std::move(text), words.finish()};
      }
      if (c == '$') {
        std::string v = dollar();
        text += v;
        // Only the outermost level's words are used; splitting a nested
        // word's (possibly large) expansions would be wasted work.
        if (stop == kEof) words.add_expanded(v);
      } else if (c == '\'') {
        std::string v = single_quoted();
        text += v;
        words.add_raw(v);
      } else if (c == '"') {
        std::string v = double_quoted(raw_escapes);
        text += v;
        words.add_raw(v);
      } else {
        Rune r = sc_.next();
        if (r.cp == escape_) {
          if (raw_escapes) {
            words.add_raw(r.raw);
            text += r.raw;
          }
          r = sc_.next();
          if (r.cp == kEof) break;  // a trailing escape is dropped
          words.add_raw(r.raw);
        } else {
          words.add_char(r);
        }
        text += r.raw;
      }
    }
    if (stop != kEof) {
      std::string s;
      s += static_cast<char>(stop);
      throw LexError("unexpected end of statement while looking for matching " + s);
    }
    return {std::move(text), words.finish()};
  }

  // Everything up to the next ' is literal; a ' cannot be escaped inside.
  std::string single_quoted() {
    sc_.next();
    std::string out;
    for (;;) {
      Rune r = sc_.next();
      if (r.cp == kEof) throw LexError("unexpected end of statement while looking for matching single-quote");
      if (r.cp == '\'') return out;
      out += r.raw;
    }
  }

  // $ expands; the escape character escapes only " $ and itself, elsewhere
  // it stays as written.
  std::string double_quoted(bool raw_escapes) {
    sc_.next();
    std::string out;
    for (;;) {
      const char32_t c = sc_.peek();
      if (c == kEof) throw LexError("unexpected end of statement while looking for matching double-quote");
      if (c == '"') {
        sc_.next();
        return out;
      }
      if (c == '$') {
        out += dollar();
        continue;
      }
      Rune r = sc_.next();
      if (r.cp == escape_) {
        if (raw_escapes) out += r.raw;
        const char32_t n = sc_.peek();
        if (n == kEof) continue;  // reported as an unterminated quote
        if (n == '"' || n == '$' || n == escape_) r = sc_.next();
      }
      out += r.raw;
    }
  }

  // Names: a run of digits, or one special-parameter character, or letters,
  // digits and underscores.
  std::string name() {
    std::string n;
    while (!sc_.at_end()) {
      const char32_t c = sc_.peek();
      if (n.empty() && is_ascii_digit(c)) {
        while (is_ascii_digit(sc_.peek())) n += sc_.next().raw;
        return n;
      }
      if (n.empty() && is_special_param(c)) return std::string(sc_.next().raw);
      if (!is_letter(c) && !is_ascii_digit(c) && c != '_') break;
      n += sc_.next().raw;
    }
    return n;
  }

  std::optional<std::string> lookup(const std::string& n) {
    auto v = env_(n);
    (v ? used_ : unset_).insert(n);
    return v;
  }

  std::string dollar() {
    sc_.next();  // $
    if (sc_.peek() != '{') {
      std::string n = name();
      if (n.empty()) return "$";
      return lookup(n).value_or("");
    }
    sc_.next();  // {
    const char32_t first = sc_.peek();
    if (first == kEof) throw LexError("syntax error: missing '}'");
    if (first == '{' || first == '}' || first == ':') throw LexError("syntax error: bad substitution");
    if (++depth_ > ShellLexer::kMaxNesting) throw LexError("syntax error: ${...} nested too deeply");
    std::string result = braced(name());
    --depth_;
    return result;
  }

  [[noreturn]] static void unsupported(const std::string& modifier) {
    throw LexError("unsupported modifier (" + modifier + ") in substitution");
  }

  // After "${name": the modifier and its word, up to the closing brace.
  std::string braced(const std::string& n) {
    Rune m = sc_.next();
    if (m.cp == '}') return lookup(n).value_or("");
    if (m.cp == '/') return substitute(n);
    std::string modifier(m.raw);
    bool colon = false;
    if (m.cp == ':') {
      colon = true;
      m = sc_.next();
      modifier += m.raw;
    } else if (m.cp != '+' && m.cp != '-' && m.cp != '?' && m.cp != '#' && m.cp != '%') {
      unsupported(m.cp == kEof ? "end of input" : modifier);
    }
    // The word is expanded before the modifier is even checked (BuildKit).
    std::string word = braced_word('}', m.cp == '#' || m.cp == '%', "'}'");
    const auto value = lookup(n);
    const bool empty = !value || (colon && value->empty());
    switch (m.cp) {
      case '-':
        return empty ? word : *value;
      case '+':
        return empty ? "" : word;
      case '?':
        if (!value) throw LexError(n + ": " + (word.empty() ? "is not allowed to be unset" : word));
        if (empty) throw LexError(n + ": " + (word.empty() ? "is not allowed to be empty" : word));
        return *value;
      case '#':
      case '%': {
        // A doubled operator (## %%) asks for the longest match.
        const bool greedy = !word.empty() && static_cast<char32_t>(word[0]) == m.cp;
        std::string_view pattern = greedy ? std::string_view(word).substr(1) : std::string_view(word);
        return m.cp == '%' ? trim_suffix(pattern, value.value_or(""), greedy)
                           : trim_prefix(pattern, value.value_or(""), greedy);
      }
      default:  // only reachable after ':'
        unsupported(modifier);
    }
  }

  // ${v/p/r} and ${v//p/r}.
  std::string substitute(const std::string& n) {
    const bool all = sc_.peek() == '/';
    if (all) sc_.next();
    std::string pattern = braced_word('/', true, "'/' in ${}");
    std::string replacement = braced_word('}', true, "'}'");
    const std::string value = lookup(n).value_or("");
    return replace(pattern, replacement, value, all);
  }

  // A nested word; running out of input there means the ${ was not closed.
  std::string braced_word(char32_t stop, bool raw_escapes, const char* missing) {
    try {
      return stop_on(stop, raw_escapes).text;
    } catch (const LexError&) {
      if (sc_.at_end()) throw LexError(std::string("syntax error: missing ") + missing);
      throw;
    }
  }

  Scanner sc_;
  char32_t escape_;
  const EnvLookup& env_;
  std::set<std::string> used_;
  std::set<std::string> unset_;
  int depth_ = 0;
};

}  // namespace

EnvLookup env_from_list(const std::vector<std::string>& kv) {
  auto vars = std::make_shared<std::map<std::string, std::string, std::less<>>>();
  for (const auto& e : kv) {
    // An entry without '=' names a variable that is set but empty.
    const auto eq = e.find('=');
    if (eq == std::string::npos) (*vars)[e] = "";
    else (*vars)[e.substr(0, eq)] = e.substr(eq + 1);
  }
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars->find(name);
    if (it == vars->end()) return std::nullopt;
    return it->second;
  };
}

Expansion ShellLexer::process_word_with_matches(std::string_view word, const EnvLookup& env) const {
  Expander ex(word, static_cast<unsigned char>(escape_), env);
  try {
    Piece p = ex.run();
    Expansion out;
    out.word = std::move(p.text);
    out.words = std::move(p.words);
    out.used = std::move(ex.used());
    out.unset = std::move(ex.unset());
    return out;
  } catch (const LexError& e) {
    throw UsageError("failed to process " + quote(word) + ": " + escape_for_message(e.what()));
  }
}

std::string ShellLexer::process_word(std::string_view word, const EnvLookup& env) const {
  return process_word_with_matches(word, env).word;
}

std::vector<std::string> ShellLexer::process_words(std::string_view text, const EnvLookup& env) const {
  return process_word_with_matches(text, env).words;
}

}  // namespace kiln::dockerfile
