#include "image/platform.h"

#include <vector>

#include "base/error.h"

namespace kiln::image {

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

Platform native_platform() {
  Platform p;  // os linux
#if defined(__x86_64__)
  p.architecture = "amd64";
#elif defined(__aarch64__)
  p.architecture = "arm64";
  p.variant = "v8";
#elif defined(__s390x__)
  p.architecture = "s390x";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
  p.architecture = "ppc64le";
#elif defined(__powerpc64__)
  p.architecture = "ppc64";
#elif defined(__riscv) && __riscv_xlen == 64
  p.architecture = "riscv64";
#else
#error "kiln does not know the OCI name of this architecture"
#endif
  return p;
}

Platform parse_platform(const std::string& text, const std::string& what) {
  if (text.empty()) return native_platform();
  Platform p;
  auto a = text.find('/');
  if (a == std::string::npos) throw UsageError("invalid " + what + " '" + text + "': expected os/arch[/variant]");
  p.os = text.substr(0, a);
  auto b = text.find('/', a + 1);
  p.architecture = text.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  if (b != std::string::npos) p.variant = text.substr(b + 1);
  return p;
}

}  // namespace kiln::image
