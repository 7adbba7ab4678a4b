#include "registry/platform_match.h"

namespace kiln::registry {
namespace {
std::string normal_variant(const image::Platform& p) {
  if (!p.variant.empty()) return p.variant;
  if (p.architecture == "arm64") return "v8";
  if (p.architecture == "arm") return "v7";
  return "";
}
}  // namespace

bool platform_matches(const image::Platform& want, const image::Platform& have) {
  if (want.os != have.os || want.architecture != have.architecture) return false;
  std::string wv = normal_variant(want), hv = normal_variant(have);
  // Architectures without variants match whatever an entry says.
  return wv.empty() || wv == hv;
}

std::optional<image::Descriptor> select_platform(const std::vector<image::Descriptor>& entries,
                                                 const image::Platform& want) {
  for (const auto& e : entries)
    if (e.platform && platform_matches(want, *e.platform)) return e;
  return std::nullopt;
}

}  // namespace kiln::registry
