#pragma once
// The image index `executor manifest` pushes: one entry per platform image
// built elsewhere (a CI job or a Kubernetes Job per architecture, each
// pushing repo:tag-<arch>), each entry naming the platform its config says.
// Pure: descriptors and platforms in, an index out; the registry work is in
// cmd/manifest_command.
#include <optional>
#include <string>
#include <vector>

#include "image/descriptor.h"
#include "image/manifest.h"

namespace kiln::image {

struct PlatformImage {
  std::string source;   // the reference it came from, for error messages
  Descriptor manifest;  // media type, digest and size of the per-platform manifest
  Platform platform;    // from its config, or from the index entry it came from
};

// `format` unset: a Docker manifest list when every entry is a Docker schema 2
// manifest (what docker and kaniko users' registries expect of Docker
// images), an OCI index otherwise. Entries keep the order given. Throws
// kiln::Error naming the sources at fault: no entry, two entries for one
// platform, an OCI manifest asked into a Docker manifest list (Docker clients
// would not read it), a media type that is not a manifest.
Index assemble_index(const std::vector<PlatformImage>& images, std::optional<ManifestFormat> format);

}  // namespace kiln::image
