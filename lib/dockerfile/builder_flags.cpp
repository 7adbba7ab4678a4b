#include "dockerfile/builder_flags.h"

#include "base/error.h"
#include "base/text.h"
#include "dockerfile/line_words.h"
#include "dockerfile/suggest.h"

namespace kiln::dockerfile {

void BuilderFlags::parse(const std::vector<std::string>& words) {
  for (const std::string& w : words) {
    if (w.rfind("--", 0) != 0) throw kiln::UsageError("flag should start with --: " + w);
    std::string body = w.substr(2);
    size_t eq = body.find('=');
    std::string name = eq == std::string::npos ? body : body.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : body.substr(eq + 1);
    auto it = kinds_.find(name);
    if (it == kinds_.end()) {
      std::vector<std::string> known;
      for (const auto& [k, _] : kinds_) known.push_back(k);
      std::string msg = "unknown flag: --" + name;
      std::string hint = closest_match(name, known);
      if (!hint.empty()) msg += " (did you mean --" + hint + "?)";
      throw kiln::UsageError(msg);
    }
    if (it->second != FlagKind::Strings && values_.count(name))
      throw kiln::UsageError("duplicate flag specified: --" + name);
    switch (it->second) {
      case FlagKind::Bool: {
        if (eq != std::string::npos && value.empty())
          throw kiln::UsageError("missing a value on flag: --" + name);
        std::string v = ascii_lower(value);
        if (v.empty() || v == "true") value = "true";
        else if (v == "false") value = "false";
        else throw kiln::UsageError("expecting boolean value for flag --" + name + ", not: " + value);
        break;
      }
      case FlagKind::String:
      case FlagKind::Strings:
        if (eq == std::string::npos) throw kiln::UsageError("missing a value on flag: --" + name);
        break;
    }
    values_[name].push_back(value);
  }
}

bool BuilderFlags::boolean(const std::string& name) const {
  auto it = values_.find(name);
  return it != values_.end() && it->second.back() == "true";
}

std::string BuilderFlags::string(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? "" : it->second.back();
}

std::vector<std::string> BuilderFlags::strings(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace kiln::dockerfile
