#include "dockerfile/build_args.h"

namespace kiln::dockerfile {

std::optional<std::string> BuildArgs::given_value(std::string_view key) const {
  auto it = given.find(std::string(key));
  if (it == given.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> BuildArgs::global_value(std::string_view key) const {
  // The last declaration wins; the automatic args come before any global ARG.
  for (auto it = global.rbegin(); it != global.rend(); ++it)
    if (it->key == key) return it->value;
  for (const auto& a : automatic)
    if (a.key == key) return a.value;
  return std::nullopt;
}

bool is_proxy_arg(std::string_view key) {
  for (std::string_view p : {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
                             "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"})
    if (key == p) return true;
  return false;
}

bool is_platform_arg(std::string_view key) {
  for (std::string_view p : {"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS",
                             "BUILDARCH", "BUILDVARIANT"})
    if (key == p) return true;
  return false;
}

}  // namespace kiln::dockerfile
