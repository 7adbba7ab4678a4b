#include "image/platform.h"

#include <algorithm>
#include <vector>

namespace kiln::image {

std::optional<Platform> parse_platform(std::string_view text) {
  auto a = text.find('/');
  if (a == std::string_view::npos) return std::nullopt;
  Platform p;
  p.os = std::string(text.substr(0, a));
  auto b = text.find('/', a + 1);
  p.architecture = std::string(text.substr(a + 1, b == std::string_view::npos ? std::string_view::npos : b - a - 1));
  if (b != std::string_view::npos) p.variant = std::string(text.substr(b + 1));
  return p;
}

Platform native_platform() {
  Platform p;
#if defined(__x86_64__)
  p.architecture = "amd64";
#elif defined(__aarch64__)
  p.architecture = "arm64";
#elif defined(__s390x__)
  p.architecture = "s390x";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  p.architecture = "ppc64le";
#elif defined(__powerpc64__)
  p.architecture = "ppc64";
#elif defined(__riscv) && __riscv_xlen == 64
  p.architecture = "riscv64";
#elif defined(__i386__)
  p.architecture = "386";
#elif defined(__arm__)
  p.architecture = "arm";
  p.variant = "v7";
#else
#error "kiln: unknown architecture; add its OCI name to native_platform()"
#endif
  return p;
}

Platform normalize(Platform p) {
  std::string& a = p.architecture;
  std::string& v = p.variant;
  if (a == "x86_64" || a == "x86-64") a = "amd64";
  if (a == "i386" || a == "i686") a = "386";
  if (a == "aarch64") a = "arm64";
  if (a == "armhf") {
    a = "arm";
    if (v.empty()) v = "v7";
  }
  if (a == "armel") {
    a = "arm";
    if (v.empty()) v = "v6";
  }
  if (a == "arm64" && (v.empty() || v == "8")) v = "v8";
  if (a == "arm" && v.empty()) v = "v7";
  if (a == "arm" && v.size() == 1) v = "v" + v;  // "7" is seen in the wild
  if (a == "amd64" && v.empty()) v = "v1";
  return p;
}

bool same_platform(const Platform& a, const Platform& b) { return normalize(a) == normalize(b); }

void add_unique_platform(std::vector<Platform>& list, const Platform& p) {
  if (std::none_of(list.begin(), list.end(), [&](const Platform& q) { return same_platform(q, p); }))
    list.push_back(p);
}

std::optional<Descriptor> select_platform(const Index& index, const Platform& want) {
  Platform w = normalize(want);
  std::vector<std::string> variants = {w.variant};
  if (w.architecture == "arm")
    for (const char* older : {"v7", "v6", "v5"})
      if (std::string(older) < w.variant) variants.push_back(older);
  for (const auto& v : variants) {
    for (const auto& d : index.manifests) {
      if (!d.platform) continue;
      Platform c = normalize(*d.platform);
      if (c.os == w.os && c.architecture == w.architecture && c.variant == v) return d;
    }
  }
  return std::nullopt;
}

}  // namespace kiln::image
