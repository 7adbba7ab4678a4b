#include "dockerfile/go_duration.h"

#include <cstdlib>

namespace kiln::dockerfile {

std::optional<std::int64_t> parse_go_duration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    long double whole = 0, frac = 0, scale = 1;
    bool any = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i] - '0');
      ++i;
      any = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        scale /= 10;
        frac += (s[i] - '0') * scale;
        ++i;
        any = true;
      }
    }
    if (!any) return std::nullopt;
    size_t u = i;
    while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
    std::string_view unit = s.substr(i, u - i);
    long double mult;
    if (unit == "ns") mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") mult = 1e3;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "s") mult = 1e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "h") mult = 3600e9;
    else return std::nullopt;
    total += (whole + frac) * mult;
    if (total > 9.223372036854775807e18L) return std::nullopt;
    s.remove_prefix(u);
  }
  auto ns = static_cast<std::int64_t>(total + 0.5L);
  return neg ? -ns : ns;
}

namespace {
// Appends v / 10^prec with trailing zeros of the fraction dropped.
std::string fixed(std::uint64_t v, int prec) {
  std::string digits = std::to_string(v);
  if (prec == 0) return digits;
  while (static_cast<int>(digits.size()) <= prec) digits.insert(digits.begin(), '0');
  std::string whole = digits.substr(0, digits.size() - prec);
  std::string frac = digits.substr(digits.size() - prec);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return frac.empty() ? whole : whole + "." + frac;
}
}  // namespace

std::string format_go_duration(std::int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  std::uint64_t u = ns < 0 ? static_cast<std::uint64_t>(-(ns + 1)) + 1 : static_cast<std::uint64_t>(ns);
  if (u < 1000000000ULL) {
    if (u < 1000ULL) return sign + std::to_string(u) + "ns";
    if (u < 1000000ULL) return sign + fixed(u, 3) + "\xC2\xB5s";
    return sign + fixed(u, 6) + "ms";
  }
  std::uint64_t secs_ns = u % 60000000000ULL;  // seconds part with fraction
  std::uint64_t mins = u / 60000000000ULL;
  std::string out = fixed(secs_ns, 9) + "s";
  if (mins == 0) return sign + out;
  std::uint64_t hours = mins / 60;
  out = std::to_string(mins % 60) + "m" + out;
  if (hours == 0) return sign + out;
  return sign + std::to_string(hours) + "h" + out;
}

}  // namespace kiln::dockerfile
