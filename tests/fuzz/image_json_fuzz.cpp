// libFuzzer target for the image JSON documents kiln reads from registries
// and layouts: manifests, indexes and image configs. Input: the first byte
// picks the document kind and the Content-Type claimed for it; the rest is the
// document. A kiln::Error is the expected answer to bad input; any other
// exception, a crash, a leak or UB is a finding, and so is a broken
// invariant (__builtin_trap): what parses must serialise to bytes that parse
// back to the same bytes, or a pushed digest would not match what was read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "image/config.h"
#include "image/manifest.h"
#include "image/media_types.h"

namespace img = kiln::image;

namespace {

std::string_view claimed_type(uint8_t b) {
  switch (b % 5) {
    case 0: return {};
    case 1: return img::media::kOciManifest;
    case 2: return img::media::kDockerManifest;
    case 3: return img::media::kOciIndex;
    default: return img::media::kDockerManifestList;
  }
}

void manifest(std::string_view doc, std::string_view type) {
  img::Manifest m = img::parse_manifest(doc, type);
  const std::string once = img::to_json(m);
  if (img::to_json(img::parse_manifest(once, m.media_type)) != once) __builtin_trap();
}

void index(std::string_view doc, std::string_view type) {
  img::Index i = img::parse_index(doc, type);
  const std::string once = img::to_json(i);
  if (img::to_json(img::parse_index(once, i.media_type)) != once) __builtin_trap();
}

void config(std::string_view doc) {
  img::Config c = img::Config::parse(doc);
  const std::string once = c.dump();
  if (img::Config::parse(once).dump() != once) __builtin_trap();
  // Every typed getter: each may throw kiln::Error on a wrong type, never
  // anything else.
  auto get = [](auto&& f) {
    try {
      f();
    } catch (const kiln::Error&) {
    }
  };
  get([&] { c.architecture(), c.os(), c.variant(), c.created(), c.author(); });
  get([&] { c.platform(); });
  get([&] { c.diff_ids(); });
  get([&] { c.history(); });
  get([&] { c.env(); });
  get([&] { c.cmd(), c.entrypoint(); });
  get([&] { c.working_dir(), c.user(), c.stop_signal(); });
  get([&] { c.labels(); });
  get([&] { c.exposed_ports(), c.volumes(); });
  get([&] { c.healthcheck(); });
  get([&] { c.on_build(), c.shell(); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view doc(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    switch ((mode >> 3) % 4) {
      case 0: manifest(doc, claimed_type(mode)); break;
      case 1: index(doc, claimed_type(mode)); break;
      case 2: config(doc); break;
      default: img::detect_media_type(doc); break;
    }
  } catch (const kiln::Error&) {
  }
  return 0;
}
