#pragma once
// An OCI image layout directory (OCI image spec, image-layout.md): the
// "oci-layout" marker, index.json, and blobs/<alg>/<hex>. Opening an existing
// layout keeps its index entries; adding a tag replaces only the entry that
// had the same org.opencontainers.image.ref.name.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "image/descriptor.h"
#include "image/image_blobs.h"
#include "image/manifest.h"

namespace kiln::image {

inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";

class OciLayout {
 public:
  // Creates dir, oci-layout and an empty index.json when absent. Throws
  // kiln::Error when an existing oci-layout or index.json is not valid.
  explicit OciLayout(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path blob_path(std::string_view digest) const;  // validates the digest
  bool has_blob(std::string_view digest) const;

  // Stores bytes as a blob; returns its digest ("sha256:…").
  std::string put_blob(std::string_view bytes);
  // Copies a file in as blob `digest`. Throws kiln::Error naming both when the
  // file's SHA-256 is not `digest` (nothing is left behind then).
  void put_blob_file(const std::filesystem::path& src, std::string_view digest);

  // Adds a manifest (or index) descriptor to index.json and rewrites it. With
  // a tag, the descriptor is annotated with it and replaces any entry carrying
  // the same ref name; without, it is added unless the same digest is already
  // listed untagged.
  void add_to_index(Descriptor manifest, const std::optional<std::string>& tag);
  Index index() const;
  // The index entry carrying `tag` as its ref name, as read when opened.
  std::optional<Descriptor> tagged(std::string_view tag) const;
  // A blob's bytes. Throws kiln::Error naming the blob when it is missing or
  // its bytes do not hash to `digest`.
  std::string read_blob(std::string_view digest) const;

 private:
  std::filesystem::path dir_;
  Index index_;
};

// Stores a whole image's blobs (layers, config, manifest) in the layout
// without listing it in index.json (an entry of an index stored next).
// Returns the manifest's descriptor.
Descriptor store_oci_image(OciLayout& layout, const ImageBlobs& image);

// Writes a whole image (layers, config, manifest) into the layout at dir and
// lists it in index.json under tag. Returns the manifest's descriptor.
Descriptor write_oci_image(const std::filesystem::path& dir, const ImageBlobs& image,
                           const std::optional<std::string>& tag);

}  // namespace kiln::image
