#include "dockerfile/json_array.h"

#include <cstdint>

namespace kiln::dockerfile {
namespace {

// A minimal JSON reader: enough to validate any JSON value (so "[1, 2]" is
// recognised as JSON-but-not-strings) and to decode strings.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  bool eat(char c) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char peek() {
    skip_ws();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }

  // Reads any value; returns false on a syntax error. Sets is_string and
  // fills out when the value was a string.
  bool value(bool& is_string, std::string& out, int depth = 0) {
    if (depth > 512) return false;
    is_string = false;
    char c = peek();
    if (c == '"') {
      is_string = true;
      return string(out);
    }
    if (c == '[') {
      ++pos_;
      if (eat(']')) return true;
      do {
        bool s;
        std::string ignored;
        if (!value(s, ignored, depth + 1)) return false;
      } while (eat(','));
      return eat(']');
    }
    if (c == '{') {
      ++pos_;
      if (eat('}')) return true;
      do {
        std::string key;
        if (peek() != '"' || !string(key)) return false;
        if (!eat(':')) return false;
        bool s;
        std::string ignored;
        if (!value(s, ignored, depth + 1)) return false;
      } while (eat(','));
      return eat('}');
    }
    for (std::string_view lit : {"true", "false", "null"}) {
      if (s_.substr(pos_, lit.size()) == lit) {
        pos_ += lit.size();
        return true;
      }
    }
    return number();
  }

  bool string(std::string& out) {
    skip_ws();
    if (pos_ >= s_.size() || s_[pos_] != '"') return false;
    ++pos_;
    while (pos_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (pos_ >= s_.size()) return false;
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
            size_t save = pos_;
            pos_ += 2;
            uint32_t lo;
            if (hex4(lo) && lo >= 0xDC00 && lo < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else {
              pos_ = save;
              cp = 0xFFFD;
            }
          } else if (cp >= 0xD800 && cp < 0xE000) {
            cp = 0xFFFD;  // a lone surrogate, as Go's decoder replaces it
          }
          append_utf8(out, cp);
          break;
        }
        default: return false;
      }
    }
    return false;
  }

 private:
  bool hex4(uint32_t& v) {
    if (pos_ + 4 > s_.size()) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9') v |= h - '0';
      else if (h >= 'a' && h <= 'f') v |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') v |= h - 'A' + 10;
      else return false;
    }
    return true;
  }
  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  bool digits() {
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }
  bool number() {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return false;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      if (!digits()) return false;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return false;
    }
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

JsonArray parse_json_array(std::string_view text) {
  JsonArray out;
  Reader r(text);
  if (r.peek() != '[') return out;
  r.eat('[');
  bool all_strings = true;
  if (!r.eat(']')) {
    do {
      bool is_string;
      std::string s;
      if (!r.value(is_string, s)) return out;
      if (is_string) out.items.push_back(std::move(s));
      else all_strings = false;
    } while (r.eat(','));
    if (!r.eat(']')) {
      out.items.clear();
      return out;
    }
  }
  r.skip_ws();
  if (!r.at_end()) {
    out.items.clear();
    return out;
  }
  if (!all_strings) {
    out.items.clear();
    out.result = JsonArrayResult::NotStrings;
    return out;
  }
  out.result = JsonArrayResult::Strings;
  return out;
}

}  // namespace kiln::dockerfile
