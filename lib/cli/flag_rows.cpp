#include "cli/flag_rows.h"

namespace kiln::cli::rows {

Flag str(std::string name, char sh, std::string* field, std::string help, std::string def) {
  Flag f;
  f.name = std::move(name);
  f.shorthand = sh;
  f.value_name = "string";
  f.help = std::move(help);
  if (!def.empty()) f.default_text = "\"" + def + "\"";
  f.set = [field](std::string_view v) { *field = std::string(v); };
  return f;
}

Flag list(std::string name, char sh, std::vector<std::string>* field, std::string help) {
  Flag f;
  f.name = std::move(name);
  f.shorthand = sh;
  f.value_name = "multi-arg";
  f.help = std::move(help);
  f.set = [field](std::string_view v) { field->emplace_back(v); };
  return f;
}

Flag boolean(std::string name, bool* field, std::string help, bool def) {
  Flag f;
  f.name = std::move(name);
  f.kind = FlagKind::Bool;
  f.help = std::move(help);
  if (def) f.default_text = "true";
  std::string n = f.name;
  f.set = [field, n](std::string_view v) { *field = parse_bool(n, v); };
  return f;
}

Flag integer(std::string name, int* field, std::string help) {
  Flag f;
  f.name = std::move(name);
  f.value_name = "int";
  f.help = std::move(help);
  std::string n = f.name;
  f.set = [field, n](std::string_view v) { *field = parse_int(n, v); };
  return f;
}

Flag key_value(std::string name, std::map<std::string, std::string>* field, std::string help) {
  Flag f;
  f.name = std::move(name);
  f.value_name = "key=value";
  f.help = std::move(help);
  std::string n = f.name;
  f.set = [field, n](std::string_view v) {
    auto [k, val] = split_key_value(n, v);
    (*field)[k] = val;
  };
  return f;
}

Flag duration(std::string name, long long* seconds, std::string help, std::string def) {
  Flag f;
  f.name = std::move(name);
  f.value_name = "duration";
  f.help = std::move(help);
  f.default_text = std::move(def);
  std::string n = f.name;
  f.set = [seconds, n](std::string_view v) { *seconds = parse_duration_seconds(n, v); };
  return f;
}

Flag with_aliases(Flag f, std::vector<std::string> aliases) {
  f.aliases = std::move(aliases);
  return f;
}

Flag with_shorthand(Flag f, char sh) {
  f.shorthand = sh;
  return f;
}

Flag hidden(Flag f) {
  f.hidden = true;
  return f;
}

}  // namespace kiln::cli::rows
