// .dockerignore parsing and matching. Docker turns each pattern into one of
// four match kinds (exact string, prefix, suffix, or a Go regexp built from
// the pattern); the regexp is built here the same way and run by a small
// regexp engine that understands what that construction can produce, so that
// even Docker's odd corners (a ? inside [...] becoming "[^/]" inside the
// class) match the same paths.
#include "dockerfile/dockerignore.h"
#include "dockerfile/go_space.h"
#include "dockerfile/utf8_decode.h"

#include <optional>
#include <utility>

#include "base/error.h"

namespace kiln::dockerfile {

namespace {

// Bytes that are not valid UTF-8 decode to code points above Unicode
// (utf8_decode.h), so no literal or range ever matches them except a negated
// class.
using Decoded = Utf8Step;
Decoded decode(std::string_view s, size_t i) { return decode_utf8(s, i); }

std::vector<char32_t> runes_of(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) {
    Decoded d = decode(s, i);
    out.push_back(d.cp);
    i += d.len;
  }
  return out;
}

bool is_space(char32_t c) { return is_go_space(c); }

std::string_view trim_space(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    Decoded d = decode(s, b);
    if (!is_space(d.cp)) break;
    b += d.len;
  }
  size_t e = b;  // end of the last character that is not white space
  for (size_t i = b; i < s.size();) {
    Decoded d = decode(s, i);
    i += d.len;
    if (!is_space(d.cp)) e = i;
  }
  return s.substr(b, e - b);
}

std::string printable(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// A malformed pattern; parse() adds the line and pattern.
struct PatternError {
  std::string why;
};

// ---------------------------------------------------------------------------
// Syntax check with the rules of Go's filepath.Match, which Docker runs on
// every pattern before using it.

void check_class_char(std::string_view p, size_t& i) {
  if (i >= p.size()) throw PatternError{"unterminated character class"};
  if (p[i] == '-' || p[i] == ']') throw PatternError{"'" + std::string(1, p[i]) + "' where a class character belongs"};
  if (p[i] == '\\') {
    ++i;
    if (i >= p.size()) throw PatternError{"unterminated character class"};
  }
  Decoded d = decode(p, i);
  if (d.cp >= kBadByteBase) throw PatternError{"invalid UTF-8 in character class"};
  i += d.len;
  if (i >= p.size()) throw PatternError{"unterminated character class"};
}

void check_glob_syntax(std::string_view p) {
  for (size_t i = 0; i < p.size();) {
    if (p[i] == '\\') {
      if (i + 1 >= p.size()) throw PatternError{"trailing backslash"};
      i += 2;
    } else if (p[i] == '[') {
      ++i;
      if (i < p.size() && p[i] == '^') ++i;
      for (int ranges = 0;; ++ranges) {
        if (i < p.size() && p[i] == ']' && ranges > 0) {
          ++i;
          break;
        }
        check_class_char(p, i);
        if (p[i] == '-') check_class_char(p, ++i);
      }
    } else {
      ++i;
    }
  }
}

// ---------------------------------------------------------------------------
// Docker's translation of a pattern into a match kind and a regexp.

struct Translation {
  IgnoreMatcher::Pattern::Kind kind;
  std::string regex;  // meaningful for kRegex
};

bool needs_regex_escape(char32_t c) {
  switch (c) {
    case '.': case '+': case '(': case ')': case '|': case '{': case '}': case '$':
      return true;
    default:
      return false;
  }
}

Translation translate(std::string_view pattern) {
  using Kind = IgnoreMatcher::Pattern::Kind;
  Kind kind = Kind::kExact;
  std::string re = "^";
  size_t pos = 0;
  auto peek = [&]() -> char32_t { return pos < pattern.size() ? decode(pattern, pos).cp : 0xFFFFFFFF; };
  auto next_raw = [&]() {
    Decoded d = decode(pattern, pos);
    std::string_view raw = pattern.substr(pos, d.len);
    pos += d.len;
    return std::pair{d.cp, raw};
  };
  for (int i = 0; pos < pattern.size(); ++i) {
    auto [ch, raw] = next_raw();
    if (ch == '*') {
      if (peek() == '*') {
        next_raw();
        if (peek() == '/') next_raw();  // "**/" is the same as "**"
        if (pos >= pattern.size()) {
          // A trailing ** matches everything below, as in .gitignore.
          if (kind == Kind::kExact) {
            kind = Kind::kPrefix;
          } else {
            re += ".*";
            kind = Kind::kRegex;
          }
        } else {
          re += "(.*/)?";  // any number of directories, none included
          kind = Kind::kRegex;
        }
        if (i == 0) kind = Kind::kSuffix;
      } else {
        re += "[^/]*";
        kind = Kind::kRegex;
      }
    } else if (ch == '?') {
      re += "[^/]";
      kind = Kind::kRegex;
    } else if (needs_regex_escape(ch)) {
      re += '\\';
      re += raw;
    } else if (ch == '\\') {
      if (pos < pattern.size()) {
        re += '\\';
        re += next_raw().second;
        kind = Kind::kRegex;
      } else {
        re += "\\";
      }
    } else if (ch == '[' || ch == ']') {
      re += raw;
      kind = Kind::kRegex;
    } else {
      re += raw;
    }
  }
  if (kind == Kind::kRegex) re += '$';
  return {kind, re};
}

}  // namespace

// ---------------------------------------------------------------------------
// A regexp engine for the syntax translate() produces (Go RE2 syntax:
// literals, escapes, ., [classes] with ranges, POSIX and Perl classes, groups,
// * + ? and the ^ $ anchors). It compiles to an NFA program and simulates it
// breadth-first, so matching is linear in the path length.

namespace detail {

struct CharClass {
  std::vector<std::pair<char32_t, char32_t>> ranges;
  bool negated = false;
  bool contains(char32_t c) const {
    bool in = false;
    for (auto [lo, hi] : ranges)
      if (lo <= c && c <= hi) in = true;
    return in != negated;
  }
};

struct Inst {
  enum Op { kRune, kClass, kAnyButNewline, kSplit, kJmp, kBegin, kEnd, kMatch } op;
  char32_t rune = 0;
  size_t cls = 0;
  size_t x = 0, y = 0;
};

struct IgnoreRegex {
  std::vector<Inst> prog;
  std::vector<CharClass> classes;

  bool full_match(std::string_view s) const { return run(s, true); }
  // Whether some match could start with `prefix` and continue past it.
  bool may_extend(std::string_view prefix) const { return run(prefix, false); }

 private:
  bool consumes(const Inst& in, char32_t c) const {
    switch (in.op) {
      case Inst::kRune: return in.rune == c;
      case Inst::kClass: return classes[in.cls].contains(c);
      case Inst::kAnyButNewline: return c != '\n';
      default: return false;
    }
  }

  // Adds pc and everything reachable from it without consuming input.
  void add(std::vector<size_t>& list, std::vector<size_t>& mark, size_t gen, size_t pc, bool at_start,
           bool at_end) const {
    std::vector<size_t> stack{pc};
    while (!stack.empty()) {
      size_t p = stack.back();
      stack.pop_back();
      if (mark[p] == gen) continue;
      mark[p] = gen;
      const Inst& in = prog[p];
      switch (in.op) {
        case Inst::kJmp: stack.push_back(in.x); break;
        case Inst::kSplit: stack.push_back(in.y); stack.push_back(in.x); break;
        case Inst::kBegin: if (at_start) stack.push_back(p + 1); break;
        case Inst::kEnd: if (at_end) stack.push_back(p + 1); break;
        default: list.push_back(p);
      }
    }
  }

  bool run(std::string_view s, bool whole) const {
    std::vector<size_t> mark(prog.size(), 0);
    size_t gen = 1;
    std::vector<size_t> cur, next;
    auto runes = runes_of(s);
    const size_t n = runes.size();
    add(cur, mark, gen, 0, true, whole && n == 0);
    for (size_t i = 0; i < n && !cur.empty(); ++i) {
      next.clear();
      ++gen;
      for (size_t pc : cur)
        if (consumes(prog[pc], runes[i])) add(next, mark, gen, pc + 1, false, whole && i + 1 == n);
      std::swap(cur, next);
    }
    for (size_t pc : cur) {
      if (whole && prog[pc].op == Inst::kMatch) return true;
      if (!whole && prog[pc].op != Inst::kMatch) return true;
    }
    return false;
  }
};

}  // namespace detail

namespace {

using detail::CharClass;
using detail::IgnoreRegex;
using detail::Inst;

struct Node {
  enum Kind { kRune, kClass, kAny, kBegin, kEnd, kSeq, kStar, kPlus, kQuest } kind;
  explicit Node(Kind k, char32_t r = 0) : kind(k), rune(r) {}
  char32_t rune = 0;
  size_t cls = 0;
  std::vector<Node> kids;
};

void add_complement(std::vector<std::pair<char32_t, char32_t>>& out,
                    const std::vector<std::pair<char32_t, char32_t>>& sorted_ranges) {
  char32_t next = 0;
  for (auto [lo, hi] : sorted_ranges) {
    if (lo > next) out.push_back({next, lo - 1});
    next = hi + 1;
  }
  if (next <= kMaxRune) out.push_back({next, kMaxRune});
}

using Ranges = std::vector<std::pair<char32_t, char32_t>>;

std::optional<Ranges> perl_class(char32_t c, bool& negated) {
  negated = c == 'D' || c == 'S' || c == 'W';
  switch (c) {
    case 'd': case 'D': return Ranges{{'0', '9'}};
    case 's': case 'S': return Ranges{{'\t', '\n'}, {'\f', '\r'}, {' ', ' '}};
    case 'w': case 'W': return Ranges{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
    default: return std::nullopt;
  }
}

std::optional<Ranges> posix_class(std::string_view name) {
  if (name == "alnum") return Ranges{{'0', '9'}, {'A', 'Z'}, {'a', 'z'}};
  if (name == "alpha") return Ranges{{'A', 'Z'}, {'a', 'z'}};
  if (name == "ascii") return Ranges{{0, 0x7F}};
  if (name == "blank") return Ranges{{'\t', '\t'}, {' ', ' '}};
  if (name == "cntrl") return Ranges{{0, 0x1F}, {0x7F, 0x7F}};
  if (name == "digit") return Ranges{{'0', '9'}};
  if (name == "graph") return Ranges{{'!', '~'}};
  if (name == "lower") return Ranges{{'a', 'z'}};
  if (name == "print") return Ranges{{' ', '~'}};
  if (name == "punct") return Ranges{{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}};
  if (name == "space") return Ranges{{'\t', '\r'}, {' ', ' '}};
  if (name == "upper") return Ranges{{'A', 'Z'}};
  if (name == "word") return Ranges{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
  if (name == "xdigit") return Ranges{{'0', '9'}, {'A', 'F'}, {'a', 'f'}};
  return std::nullopt;
}

class RegexParser {
 public:
  explicit RegexParser(std::string_view re) : runes_(runes_of(re)) {}

  IgnoreRegex compile() {
    Node top = seq(false);
    if (pos_ < runes_.size()) throw PatternError{"unexpected ')'"};
    emit(top);
    out_.prog.push_back({Inst::kMatch});
    return std::move(out_);
  }

 private:
  bool more() const { return pos_ < runes_.size(); }
  char32_t peek(size_t ahead = 0) const { return pos_ + ahead < runes_.size() ? runes_[pos_ + ahead] : 0xFFFFFFFF; }

  Node seq(bool in_group) {
    Node s(Node::kSeq);
    while (more()) {
      char32_t c = peek();
      if (c == ')') {
        if (!in_group) throw PatternError{"unexpected ')'"};
        return s;
      }
      if (c == '|') throw PatternError{"unexpected '|'"};
      if (c == '*' || c == '+' || c == '?') {
        if (s.kids.empty()) throw PatternError{"missing argument to repetition operator"};
        Node& last = s.kids.back();
        if (last.kind == Node::kStar || last.kind == Node::kPlus || last.kind == Node::kQuest) {
          if (c != '?') throw PatternError{"invalid nested repetition operator"};
          ++pos_;  // a lazy marker changes which match is found, not whether
          continue;
        }
        ++pos_;
        Node rep(c == '*' ? Node::kStar : c == '+' ? Node::kPlus : Node::kQuest);
        rep.kids.push_back(std::move(last));
        last = std::move(rep);
        continue;
      }
      s.kids.push_back(atom());
    }
    if (in_group) throw PatternError{"missing ')'"};
    return s;
  }

  Node atom() {
    char32_t c = runes_[pos_++];
    switch (c) {
      case '(': {
        if (peek() == '?') throw PatternError{"unsupported group syntax"};
        Node g = seq(true);
        ++pos_;  // ')'
        return g;
      }
      case '[': return class_node();
      case '.': return Node(Node::kAny);
      case '^': return Node(Node::kBegin);
      case '$': return Node(Node::kEnd);
      case '\\': {
        if (!more()) throw PatternError{"trailing backslash"};
        bool neg = false;
        if (auto r = perl_class(peek(), neg)) {
          ++pos_;
          return class_of(std::move(*r), neg);
        }
        return Node(Node::kRune, escaped());
      }
      default:
        return Node(Node::kRune, c);
    }
  }

  Node class_of(Ranges r, bool negated) {
    out_.classes.push_back({std::move(r), negated});
    Node n(Node::kClass);
    n.cls = out_.classes.size() - 1;
    return n;
  }

  // The character after a backslash (already known to exist).
  char32_t escaped() {
    char32_t c = runes_[pos_++];
    switch (c) {
      case 'a': return 7;
      case 'f': return '\f';
      case 't': return '\t';
      case 'n': return '\n';
      case 'r': return '\r';
      case 'v': return '\v';
      default: break;
    }
    const bool word_char = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (word_char || c >= 0x80) throw PatternError{"unsupported escape '\\" + std::string(1, static_cast<char>(c < 0x80 ? c : '?')) + "'"};
    return c;
  }

  char32_t class_char() {
    if (!more()) throw PatternError{"missing ']'"};
    char32_t c = runes_[pos_++];
    if (c != '\\') return c;
    if (!more()) throw PatternError{"trailing backslash"};
    return escaped();
  }

  Node class_node() {
    CharClass cls;
    if (peek() == '^') {
      cls.negated = true;
      ++pos_;
    }
    Ranges ranges;
    for (bool first = true;; first = false) {
      if (!more()) throw PatternError{"missing ']'"};
      if (peek() == ']' && !first) {
        ++pos_;
        break;
      }
      if (peek() == '[' && peek(1) == ':') {
        // [:name:] or [:^name:], when a closing ":]" follows.
        size_t end = pos_ + 2;
        while (end + 1 < runes_.size() && !(runes_[end] == ':' && runes_[end + 1] == ']')) ++end;
        if (end + 1 < runes_.size()) {
          std::string name;
          bool neg = false;
          for (size_t k = pos_ + 2; k < end; ++k) name += static_cast<char>(runes_[k] < 0x80 ? runes_[k] : '?');
          if (!name.empty() && name[0] == '^') {
            neg = true;
            name.erase(0, 1);
          }
          auto r = posix_class(name);
          if (!r) throw PatternError{"invalid character class range"};
          if (neg) add_complement(ranges, *r);
          else ranges.insert(ranges.end(), r->begin(), r->end());
          pos_ = end + 2;
          continue;
        }
      }
      if (peek() == '\\') {
        bool neg = false;
        if (auto r = perl_class(peek(1), neg)) {
          pos_ += 2;
          if (neg) add_complement(ranges, *r);
          else ranges.insert(ranges.end(), r->begin(), r->end());
          continue;
        }
      }
      char32_t lo = class_char();
      char32_t hi = lo;
      // "a-]" is 'a' and '-'; otherwise '-' makes a range.
      if (peek() == '-' && pos_ + 1 < runes_.size() && peek(1) != ']') {
        ++pos_;
        hi = class_char();
        if (hi < lo) throw PatternError{"invalid character class range"};
      }
      ranges.push_back({lo, hi});
    }
    cls.ranges = std::move(ranges);
    out_.classes.push_back(std::move(cls));
    Node n(Node::kClass);
    n.cls = out_.classes.size() - 1;
    return n;
  }

  size_t here() const { return out_.prog.size(); }

  void emit(const Node& n) {
    auto& p = out_.prog;
    switch (n.kind) {
      case Node::kRune: p.push_back({Inst::kRune, n.rune}); break;
      case Node::kClass: p.push_back({Inst::kClass, 0, n.cls}); break;
      case Node::kAny: p.push_back({Inst::kAnyButNewline}); break;
      case Node::kBegin: p.push_back({Inst::kBegin}); break;
      case Node::kEnd: p.push_back({Inst::kEnd}); break;
      case Node::kSeq:
        for (const auto& k : n.kids) emit(k);
        break;
      case Node::kStar: {
        const size_t split = here();
        p.push_back({Inst::kSplit});
        emit(n.kids[0]);
        p.push_back({Inst::kJmp, 0, 0, split});
        p[split].x = split + 1;
        p[split].y = here();
        break;
      }
      case Node::kPlus: {
        const size_t start = here();
        emit(n.kids[0]);
        p.push_back({Inst::kSplit, 0, 0, start, here() + 1});
        break;
      }
      case Node::kQuest: {
        const size_t split = here();
        p.push_back({Inst::kSplit});
        emit(n.kids[0]);
        p[split].x = split + 1;
        p[split].y = here();
        break;
      }
    }
  }

  std::vector<char32_t> runes_;
  size_t pos_ = 0;
  IgnoreRegex out_;
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

bool matches(const IgnoreMatcher::Pattern& p, std::string_view path) {
  using Kind = IgnoreMatcher::Pattern::Kind;
  switch (p.kind) {
    case Kind::kExact:
      return path == p.text;
    case Kind::kPrefix:  // "<prefix>**"
      return starts_with(path, std::string_view(p.text).substr(0, p.text.size() - 2));
    case Kind::kSuffix: {  // "**<suffix>"; "**/foo" also matches "foo"
      std::string_view suffix = std::string_view(p.text).substr(2);
      return ends_with(path, suffix) || (!suffix.empty() && suffix[0] == '/' && path == suffix.substr(1));
    }
    case Kind::kRegex:
      return p.regex->full_match(path);
  }
  return false;
}

// Could the pattern match some path strictly below dir?
bool may_match_below(const IgnoreMatcher::Pattern& p, const std::string& dir) {
  using Kind = IgnoreMatcher::Pattern::Kind;
  const std::string below = dir + "/";
  switch (p.kind) {
    case Kind::kExact:
      return starts_with(p.text, below);
    case Kind::kPrefix: {
      std::string_view prefix = std::string_view(p.text).substr(0, p.text.size() - 2);
      return starts_with(below, prefix) || starts_with(prefix, below);
    }
    case Kind::kSuffix:
      return true;  // some path below dir ends with any suffix
    case Kind::kRegex:
      return p.regex->may_extend(below);
  }
  return true;
}

// The context-relative form of a path: cleaned, no leading '/'.
std::string relative(std::string_view path) {
  std::string p = clean_path(path);
  size_t k = 0;
  while (k < p.size() && p[k] == '/') ++k;
  p.erase(0, k);
  return p.empty() ? "." : p;
}

IgnoreMatcher::Pattern compile(std::string text) {
  IgnoreMatcher::Pattern p;
  if (text[0] == '!') {
    if (text.size() == 1) throw PatternError{"an exception needs a pattern after '!'"};
    p.exception = true;
    text.erase(0, 1);
  }
  check_glob_syntax(text);
  Translation t = translate(text);
  p.kind = t.kind;
  if (t.kind == IgnoreMatcher::Pattern::Kind::kRegex)
    p.regex = std::make_shared<const IgnoreRegex>(RegexParser(t.regex).compile());
  p.text = std::move(text);
  return p;
}

}  // namespace

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  const size_t n = path.size();
  std::string out;
  size_t r = 0;
  size_t dotdot = 0;  // out[:dotdot] cannot be backtracked over
  if (rooted) {
    out = "/";
    r = 1;
    dotdot = 1;
  }
  while (r < n) {
    if (path[r] == '/') {
      ++r;
    } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
      ++r;
    } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
      r += 2;
      if (out.size() > dotdot) {
        size_t w = out.size() - 1;
        while (w > dotdot && out[w] != '/') --w;
        out.resize(w);
      } else if (!rooted) {
        if (!out.empty()) out += '/';
        out += "..";
        dotdot = out.size();
      }
    } else {
      if ((rooted && out.size() != 1) || (!rooted && !out.empty())) out += '/';
      for (; r < n && path[r] != '/'; ++r) out += path[r];
    }
  }
  return out.empty() ? "." : out;
}

IgnoreMatcher IgnoreMatcher::parse(std::string_view file_text) {
  IgnoreMatcher m;
  size_t line_no = 0;
  for (size_t start = 0; start < file_text.size();) {
    size_t end = file_text.find('\n', start);
    if (end == std::string_view::npos) end = file_text.size();
    std::string_view line = file_text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_no == 1 && starts_with(line, "\xEF\xBB\xBF")) line.remove_prefix(3);
    // Only a '#' in the first column starts a comment (Docker checks before
    // trimming).
    if (starts_with(line, "#")) continue;
    std::string_view trimmed = trim_space(line);
    if (trimmed.empty()) continue;
    const bool exception = trimmed[0] == '!';
    std::string pattern(exception ? trim_space(trimmed.substr(1)) : trimmed);
    if (!pattern.empty()) {
      pattern = clean_path(pattern);
      if (pattern.size() > 1 && pattern[0] == '/') pattern.erase(0, 1);
    }
    if (exception) pattern = "!" + pattern;
    // Docker cleans once more when building its matcher, '!' included.
    pattern = clean_path(pattern);
    try {
      Pattern p = compile(pattern);
      m.has_exceptions_ = m.has_exceptions_ || p.exception;
      m.patterns_.push_back(std::move(p));
    } catch (const PatternError& e) {
      throw UsageError(".dockerignore line " + std::to_string(line_no) + ": bad pattern \"" +
                       printable(trimmed) + "\": " + e.why);
    }
  }
  return m;
}

bool IgnoreMatcher::excluded(std::string_view rel_path) const {
  const std::string path = relative(rel_path);
  if (path == ".") return false;
  // The path's ancestors, outermost first: "a", "a/b" for "a/b/c".
  std::vector<std::string_view> parents;
  for (size_t k = path.find('/'); k != std::string::npos; k = path.find('/', k + 1))
    parents.push_back(std::string_view(path).substr(0, k));
  bool is_excluded = false;
  for (const auto& p : patterns_) {
    // An exclusion cannot change an excluded path, nor an exception an
    // included one.
    if (p.exception != is_excluded) continue;
    bool hit = matches(p, path);
    for (size_t i = 0; !hit && i < parents.size(); ++i) hit = matches(p, parents[i]);
    if (hit) is_excluded = !p.exception;
  }
  return is_excluded;
}

bool IgnoreMatcher::may_reinclude_below(std::string_view rel_dir) const {
  const std::string dir = relative(rel_dir);
  for (const auto& p : patterns_) {
    if (!p.exception) continue;
    if (dir == "." || may_match_below(p, dir)) return true;
  }
  return false;
}

std::vector<std::string> IgnoreMatcher::patterns() const {
  std::vector<std::string> out;
  for (const auto& p : patterns_) out.push_back((p.exception ? "!" : "") + p.text);
  return out;
}

std::vector<std::string> ignore_file_candidates(std::string_view dockerfile_path, std::string_view context_dir) {
  std::vector<std::string> out;
  if (!dockerfile_path.empty()) out.push_back(std::string(dockerfile_path) + ".dockerignore");
  std::string ctx(context_dir);
  if (!ctx.empty() && ctx.back() != '/') ctx += '/';
  out.push_back(ctx + ".dockerignore");
  return out;
}

bool always_included(std::string_view rel_path, std::string_view dockerfile_rel_path) {
  const std::string path = relative(rel_path);
  if (path == ".dockerignore") return true;
  return !dockerfile_rel_path.empty() && path == relative(dockerfile_rel_path);
}

}  // namespace kiln::dockerfile
