#pragma once
// A layer file for the layer-cache tests: uncompressed, so its diff_id is
// its digest.
#include <filesystem>
#include <fstream>
#include <string>

#include "digest/sha256.h"
#include "registry/image_state.h"

namespace kiln::cache::testing {

inline registry::Layer layer_file(const std::filesystem::path& dir, const std::string& bytes) {
  registry::Layer l;
  const std::string hex = digest::sha256_hex(bytes);
  l.file = dir / ("layer-" + hex);
  std::ofstream(l.file, std::ios::binary) << bytes;
  l.descriptor.media_type = "application/vnd.oci.image.layer.v1.tar";
  l.descriptor.digest = "sha256:" + hex;
  l.descriptor.size = static_cast<std::int64_t>(bytes.size());
  l.diff_id = l.descriptor.digest;
  return l;
}

}  // namespace kiln::cache::testing
