#pragma once
// Image manifests and indexes: Docker schema 2 and OCI, built and parsed.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "image/descriptor.h"

namespace kiln::image {

enum class ManifestFormat { Oci, Docker };

struct Manifest {
  int schema_version = 2;
  std::string media_type;  // may be empty in a parsed OCI manifest (the field is optional there)
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
  std::optional<Descriptor> subject;
};

// A Docker manifest list or an OCI image index.
struct Index {
  int schema_version = 2;
  std::string media_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

// Sets the manifest and config media types for the format (layer media
// types are the caller's: layer::Result carries both). Throws kiln::Error
// when a digest is invalid, a layer's media type is empty, or annotations
// are given for Docker (schema 2 has no place for them).
Manifest make_manifest(ManifestFormat format, Descriptor config, std::vector<Descriptor> layers,
                       std::map<std::string, std::string> annotations = {});

// Canonical bytes: compact JSON, keys sorted. Digest these bytes as they are.
std::string to_json(const Manifest& m);
std::string to_json(const Index& i);

// media_type: the Content-Type the registry sent, or empty. When both it and
// the document's mediaType are set they must agree. Throws kiln::Error naming
// the field at fault (bad digest, wrong schemaVersion, an index passed as a
// manifest, …).
Manifest parse_manifest(std::string_view json, std::string_view media_type = {});
Index parse_index(std::string_view json, std::string_view media_type = {});

// The media type of a manifest or index document: its mediaType field, else
// guessed from its shape ("manifests" → OCI index, "layers" → OCI manifest).
// Throws kiln::Error for anything else.
std::string detect_media_type(std::string_view json);

}  // namespace kiln::image
