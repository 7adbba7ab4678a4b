#include "fs/chmod_spec.h"

#include "base/error.h"

namespace kiln::fs {
namespace {

constexpr mode_t kUser = 04700, kGroup = 02070, kOther = 01007, kAll = 07777;

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw UsageError("invalid --chmod '" + std::string(text) + "': " + why);
}

// The rwx bits of one class, spread to every class (the "g=u" form).
mode_t spread(mode_t m, char from) {
  mode_t bits = from == 'u' ? (m >> 6) & 7 : from == 'g' ? (m >> 3) & 7 : m & 7;
  return bits * 0111;
}

}  // namespace

ChmodSpec ChmodSpec::parse(std::string_view text) {
  ChmodSpec spec;
  if (text.empty()) bad(text, "empty mode");
  if (text.find_first_not_of("01234567") == std::string_view::npos) {
    if (text.size() > 4) bad(text, "octal mode above 07777");
    for (char c : text) spec.mode_ = spec.mode_ * 8 + static_cast<mode_t>(c - '0');
    spec.octal_ = true;
    return spec;
  }
  std::size_t i = 0;
  for (;;) {
    mode_t who = 0;
    for (; i < text.size() && std::string_view("ugoa").find(text[i]) != std::string_view::npos; ++i)
      who |= text[i] == 'u' ? kUser : text[i] == 'g' ? kGroup : text[i] == 'o' ? kOther : kAll;
    if (who == 0) who = kAll;
    if (i == text.size() || std::string_view("+-=").find(text[i]) == std::string_view::npos)
      bad(text, "expected an octal mode like 0755 or a symbolic one like u=rwx,go=rx");
    // One who list may carry several actions: "u+x-w".
    while (i < text.size() && std::string_view("+-=").find(text[i]) != std::string_view::npos) {
      Clause c;
      c.who = who;
      c.op = text[i++];
      if (i < text.size() && std::string_view("ugo").find(text[i]) != std::string_view::npos) {
        c.copy_from = text[i++];
      } else {
        for (; i < text.size() && std::string_view("rwxXst").find(text[i]) != std::string_view::npos; ++i) {
          switch (text[i]) {
            case 'r': c.perms |= 0444; break;
            case 'w': c.perms |= 0222; break;
            case 'x': c.perms |= 0111; break;
            case 'X': c.exec_if = true; break;
            case 's': c.perms |= 06000; break;
            case 't': c.perms |= 01000; break;
          }
        }
      }
      spec.clauses_.push_back(c);
    }
    if (i == text.size()) break;
    if (text[i] != ',') bad(text, std::string("unexpected '") + text[i] + "'");
    if (++i == text.size()) bad(text, "trailing ','");
  }
  return spec;
}

mode_t ChmodSpec::apply(mode_t current, bool is_dir) const {
  if (octal_) return mode_ & kAll;
  mode_t m = current & kAll;
  for (const Clause& c : clauses_) {
    mode_t bits = c.copy_from ? spread(m, c.copy_from) : c.perms;
    if (c.exec_if && (is_dir || (m & 0111))) bits |= 0111;
    bits &= c.who;
    switch (c.op) {
      case '+': m |= bits; break;
      case '-': m &= ~bits; break;
      default: {
        // "=" clears the classes' bits before setting them; a directory's
        // setuid/setgid bits stay unless named (chmod(1)).
        mode_t cleared = is_dir ? c.who & ~06000 : c.who;
        m = (m & ~cleared) | bits;
        break;
      }
    }
  }
  return m;
}

}  // namespace kiln::fs
