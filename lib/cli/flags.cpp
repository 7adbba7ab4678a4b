#include "cli/flags.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "base/error.h"

namespace kiln::cli {
namespace {

std::string dashed(const Flag& f) { return "--" + f.name; }

}  // namespace

const Flag* FlagSet::find(std::string_view name) const {
  for (const auto& f : flags_) {
    if (f.name == name) return &f;
    for (const auto& a : f.aliases)
      if (a == name) return &f;
  }
  return nullptr;
}

ParseResult FlagSet::parse(const std::vector<std::string>& args) const {
  ParseResult r;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      for (++i; i < args.size(); ++i) r.positional.push_back(args[i]);
      break;
    }
    if (a.size() > 2 && a[0] == '-' && a[1] == '-') {
      std::string body = a.substr(2);
      std::string name = body;
      std::optional<std::string> value;
      if (auto eq = body.find('='); eq != std::string::npos) {
        name = body.substr(0, eq);
        value = body.substr(eq + 1);
      }
      const Flag* f = find(name);
      if (!f) throw UsageError("unknown flag: --" + name + " (see --help)");
      if (f->kind == FlagKind::Bool) {
        f->set(value ? *value : "true");
      } else {
        if (!value) {
          if (i + 1 >= args.size()) throw UsageError("flag needs an argument: --" + name);
          value = args[++i];
        }
        f->set(*value);
      }
      continue;
    }
    if (a.size() > 1 && a[0] == '-' && a != "-") {
      // Shorthand cluster: -f Dockerfile, -fDockerfile, -f=Dockerfile.
      for (std::size_t j = 1; j < a.size(); ++j) {
        char c = a[j];
        const Flag* f = nullptr;
        for (const auto& cand : flags_)
          if (cand.shorthand == c) f = &cand;
        if (!f) throw UsageError(std::string("unknown shorthand flag: '") + c + "' in " + a);
        if (f->kind == FlagKind::Bool) {
          if (j + 1 < a.size() && a[j + 1] == '=') {
            f->set(a.substr(j + 2));
            break;
          }
          f->set("true");
          continue;
        }
        std::string rest = a.substr(j + 1);
        if (!rest.empty() && rest[0] == '=') rest = rest.substr(1);
        if (rest.empty()) {
          if (i + 1 >= args.size())
            throw UsageError(std::string("flag needs an argument: '") + c + "' in -" + c);
          rest = args[++i];
        }
        f->set(rest);
        break;
      }
      continue;
    }
    r.positional.push_back(a);
  }
  return r;
}

std::string FlagSet::usage(std::string_view synopsis) const {
  std::vector<const Flag*> shown;
  for (const auto& f : flags_)
    if (!f.hidden) shown.push_back(&f);
  std::sort(shown.begin(), shown.end(), [](const Flag* a, const Flag* b) { return a->name < b->name; });
  std::vector<std::string> left;
  std::size_t width = 0;
  for (const Flag* f : shown) {
    std::string l = f->shorthand ? std::string("  -") + f->shorthand + ", " : std::string("      ");
    l += dashed(*f);
    if (!f->value_name.empty()) l += " " + f->value_name;
    width = std::max(width, l.size());
    left.push_back(l);
  }
  std::string out = "Usage:\n  " + std::string(synopsis) + "\n\nFlags:\n";
  for (std::size_t i = 0; i < shown.size(); ++i) {
    out += left[i] + std::string(width - left[i].size() + 3, ' ') + shown[i]->help;
    if (!shown[i]->default_text.empty()) out += " (default " + shown[i]->default_text + ")";
    if (!shown[i]->aliases.empty()) {
      out += " [also:";
      for (const auto& a : shown[i]->aliases) out += " --" + a;
      out += "]";
    }
    out += "\n";
  }
  return out;
}

bool parse_bool(std::string_view flag, std::string_view v) {
  // strconv.ParseBool's accepted spellings.
  if (v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False") return false;
  throw UsageError("invalid argument \"" + std::string(v) + "\" for --" + std::string(flag) +
                   ": expected true or false");
}

int parse_int(std::string_view flag, std::string_view v) {
  std::string s(v);
  char* end = nullptr;
  long n = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || n < -1000000000L || n > 1000000000L)
    throw UsageError("invalid argument \"" + s + "\" for --" + std::string(flag) + ": expected an integer");
  return static_cast<int>(n);
}

long long parse_duration_seconds(std::string_view flag, std::string_view v) {
  auto bad = [&] {
    return UsageError("invalid argument \"" + std::string(v) + "\" for --" + std::string(flag) +
                      ": expected a duration like 336h, 6h30m or 90s");
  };
  if (v.empty()) throw bad();
  if (v == "0") return 0;
  double total_ns = 0;
  std::size_t i = 0;
  while (i < v.size()) {
    std::size_t start = i;
    while (i < v.size() && (std::isdigit(static_cast<unsigned char>(v[i])) || v[i] == '.')) ++i;
    if (start == i) throw bad();
    double num = std::strtod(std::string(v.substr(start, i - start)).c_str(), nullptr);
    std::size_t us = i;
    while (i < v.size() && std::isalpha(static_cast<unsigned char>(v[i]))) ++i;
    std::string_view unit = v.substr(us, i - us);
    double mult;
    if (unit == "h") mult = 3600e9;
    else if (unit == "m") mult = 60e9;
    else if (unit == "s") mult = 1e9;
    else if (unit == "ms") mult = 1e6;
    else if (unit == "us" || unit == "µs") mult = 1e3;
    else if (unit == "ns") mult = 1;
    else throw bad();
    total_ns += num * mult;
  }
  return static_cast<long long>(total_ns / 1e9);
}

std::pair<std::string, std::string> split_key_value(std::string_view flag, std::string_view v) {
  auto eq = v.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw UsageError("invalid argument \"" + std::string(v) + "\" for --" + std::string(flag) +
                     ": expected key=value");
  return {std::string(v.substr(0, eq)), std::string(v.substr(eq + 1))};
}

}  // namespace kiln::cli
