#include "dockerfile/stage_scope.h"

#include <algorithm>

namespace kiln::dockerfile {
namespace {

bool has_key(const std::string& kv, std::string_view key) {
  return kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=';
}

std::optional<std::string> find_value(const std::vector<std::string>& env, std::string_view key) {
  for (const auto& kv : env)
    if (has_key(kv, key)) return kv.substr(key.size() + 1);
  return std::nullopt;
}

// Replaces in place (keeping the position, as the image config does) or appends.
void put(std::vector<std::string>& env, const std::string& key, const std::string& value) {
  for (auto& kv : env) {
    if (has_key(kv, key)) {
      kv = key + "=" + value;
      return;
    }
  }
  env.push_back(key + "=" + value);
}

}  // namespace

StageScope::StageScope(const BuildArgs& args, const std::vector<std::string>& base_env,
                       const std::vector<std::string>& inherited_state, char escape)
    : args_(args), lexer_(escape) {
  for (const auto& kv : base_env) {
    size_t eq = kv.find('=');
    set_env(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
  for (const auto& kv : inherited_state) {
    size_t eq = kv.find('=');
    put(state_, kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
}

EnvLookup StageScope::lookup() const {
  return [this](std::string_view name) { return find_value(state_, name); };
}

std::string StageScope::expand(std::string_view word) const { return lexer_.process_word(word, lookup()); }

std::vector<std::string> StageScope::expand_words(std::string_view text) const {
  return lexer_.process_words(text, lookup());
}

void StageScope::set_env(const std::string& key, const std::string& value) {
  put(config_, key, value);
  put(state_, key, value);
}

StageScope::DeclaredArg StageScope::declare_arg(const ArgDecl& decl) {
  std::optional<std::string> expanded_default;
  if (decl.default_value) expanded_default = expand(*decl.default_value);
  std::optional<std::string> value = args_.given_value(decl.key);
  if (!value) value = expanded_default;
  if (!value) value = args_.global_value(decl.key);
  if (value) put(state_, decl.key, *value);
  if (std::find(declared_.begin(), declared_.end(), decl.key) == declared_.end()) declared_.push_back(decl.key);
  return {expanded_default, value};
}

std::vector<std::string> StageScope::run_env() const {
  std::vector<std::string> out = state_;
  for (const auto& [k, v] : args_.given)
    if (is_proxy_arg(k) && !find_value(out, k)) out.push_back(k + "=" + v);
  return out;
}

std::vector<std::pair<std::string, std::string>> StageScope::declared_args_for_history() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& key : declared_) {
    if (is_proxy_arg(key)) continue;
    out.emplace_back(key, find_value(state_, key).value_or(""));
  }
  return out;
}

}  // namespace kiln::dockerfile
