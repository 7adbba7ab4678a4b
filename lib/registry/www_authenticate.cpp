#include "registry/www_authenticate.h"

#include "base/text.h"

#include <cctype>

namespace kiln::registry {
namespace {

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t')) ++i_;
  }
  void skip_space_and_commas() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == ',')) ++i_;
  }
  bool done() const { return i_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[i_]; }
  void advance() { ++i_; }
  std::size_t pos() const { return i_; }
  void seek(std::size_t p) { i_ = p; }
  std::string_view token() {
    std::size_t b = i_;
    while (i_ < s_.size() && is_token_char(s_[i_])) ++i_;
    return s_.substr(b, i_ - b);
  }
  std::string quoted() {
    std::string out;
    ++i_;  // opening quote
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
      out += s_[i_++];
    }
    if (i_ < s_.size()) ++i_;  // closing quote
    return out;
  }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

}  // namespace

std::vector<Challenge> parse_www_authenticate(std::string_view header) {
  std::vector<Challenge> out;
  Scanner sc(header);
  sc.skip_space_and_commas();
  while (!sc.done()) {
    auto scheme = sc.token();
    if (scheme.empty()) break;  // garbage: stop rather than guess
    Challenge ch;
    ch.scheme = ascii_lower(scheme);
    // Parameters until the next "token SP" that starts another challenge.
    while (true) {
      sc.skip_space_and_commas();
      if (sc.done()) break;
      std::size_t mark = sc.pos();
      auto name = sc.token();
      sc.skip_space();
      if (name.empty() || sc.peek() != '=') {
        sc.seek(mark);  // the next challenge's scheme
        break;
      }
      sc.advance();  // '='
      sc.skip_space();
      std::string value = sc.peek() == '"' ? sc.quoted() : std::string(sc.token());
      ch.params[ascii_lower(name)] = value;
    }
    out.push_back(std::move(ch));
  }
  return out;
}

}  // namespace kiln::registry
