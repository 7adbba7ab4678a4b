#pragma once
// Everything an image output (OCI layout, docker-archive tarball) needs:
// the config bytes and the layer blobs as files on disk, already compressed,
// with the descriptors the manifest uses for them.
#include <filesystem>
#include <string>
#include <vector>

#include "image/descriptor.h"

namespace kiln::image {

struct LayerBlob {
  Descriptor descriptor;  // media type, digest and size of `file`
  std::filesystem::path file;
};

struct ImageBlobs {
  std::string config_json;  // exact bytes; their digest is the config digest
  std::vector<LayerBlob> layers;
  std::string manifest_json;        // exact bytes (to_json(Manifest))
  std::string manifest_media_type;  // kOciManifest or kDockerManifest
};

}  // namespace kiln::image
