#include "http/message.h"

namespace kiln::http {

std::optional<std::string> Response::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return std::nullopt;
}

std::vector<std::string> Response::headers_named(std::string_view lower_name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers)
    if (k == lower_name) out.push_back(v);
  return out;
}

}  // namespace kiln::http
