#pragma once
// Reads the "manifests" list of an OCI index / Docker manifest list: just
// what resolve() needs to pick a platform (lib/image owns full parsing).
#include <string>
#include <vector>

#include "image/descriptor.h"

namespace kiln::registry {

// Throws kiln::Error naming `origin` when the JSON is not an index.
std::vector<image::Descriptor> parse_index_entries(const std::string& json, const std::string& origin);

// The "mediaType" field of a manifest, or "" (old OCI manifests omit it).
std::string media_type_field(const std::string& json);

}  // namespace kiln::registry
