#include "dockerfile/history_text.h"

#include <algorithm>

#include "dockerfile/go_duration.h"
#include "dockerfile/go_format.h"

namespace kiln::dockerfile {

std::string run_history(const std::vector<std::string>& argv,
                        const std::vector<std::pair<std::string, std::string>>& args) {
  std::string out = "RUN";
  if (!args.empty()) {
    out += " |" + std::to_string(args.size());
    for (const auto& [k, v] : args) out += " " + k + "=" + v;
  }
  for (const auto& a : argv) out += " " + a;
  return out + " # buildkit";
}

std::string copy_history(const std::string& keyword, const std::vector<std::string>& sources,
                         const std::vector<Heredoc>& inline_sources, const std::string& dest) {
  std::string out = keyword;
  for (const auto& s : sources) out += " " + s;
  for (const auto& h : inline_sources) out += " <<" + h.name;
  return out + " " + dest + " # buildkit";
}

std::string argv_history(const std::string& keyword, const std::vector<std::string>& argv) {
  return keyword + " " + go_quoted_list(argv);
}

std::string key_value_history(const std::string& keyword, const std::vector<KeyValue>& kvs) {
  std::string out = keyword;
  for (const auto& kv : kvs) out += " " + kv.key + "=" + kv.value;
  return out;
}

std::string expose_history(const std::vector<std::string>& normalized_ports) {
  std::vector<std::string> keys = normalized_ports;
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::string out = "EXPOSE map[";
  for (size_t i = 0; i < keys.size(); ++i) out += (i ? " " : "") + keys[i] + ":{}";
  return out + "]";
}

std::string healthcheck_history(const HealthcheckInst& h) {
  return "HEALTHCHECK &{" + go_quoted_list(h.test) + " " + go_quote(format_go_duration(h.interval_ns)) + " " +
         go_quote(format_go_duration(h.timeout_ns)) + " " + go_quote(format_go_duration(h.start_period_ns)) + " " +
         go_quote(format_go_duration(h.start_interval_ns)) + " " + go_quote_rune(h.retries) + "}";
}

std::string arg_history(const std::vector<std::pair<std::string, std::optional<std::string>>>& args) {
  std::string out = "ARG";
  for (const auto& [key, value] : args) out += " " + key + (value ? "=" + *value : "");
  return out;
}

}  // namespace kiln::dockerfile
