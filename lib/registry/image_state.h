#pragma once
// An image as the build carries it from stage to stage: the config, and the
// layers with where their compressed blobs can be had (a local file, the
// repository they came from, or both).
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "image/config.h"
#include "image/descriptor.h"
#include "image/manifest.h"
#include "registry/reference.h"

namespace kiln::registry {

struct Layer {
  image::Descriptor descriptor;  // media type, digest, size of the compressed blob
  std::string diff_id;           // sha256 of the uncompressed tar
  std::filesystem::path file;    // the blob on disk; empty when only `source` has it
  std::optional<registry::Reference> source;  // repository it can be mounted or fetched from
  // Streams the blob from `source` into a sink, checking size and digest at
  // the end (registry::Client::fetch_blob). Set for base-image layers, whose
  // `file` is then only where a copy goes if one is ever needed: they are
  // unpacked straight from the registry (see engine/base_image.h).
  std::function<void(const std::function<void(const char*, std::size_t)>&)> fetch;
};

struct ImageState {
  image::Config config;
  std::vector<Layer> layers;
  image::ManifestFormat format = image::ManifestFormat::Docker;
  std::string name;  // what FROM named, for logs ("scratch", a reference, a stage)
};

}  // namespace kiln::registry
