#include "image/index_assembly.h"

#include <map>

#include "base/error.h"
#include "image/media_types.h"

namespace kiln::image {
namespace {

ManifestFormat pick_format(const std::vector<PlatformImage>& images) {
  for (const auto& img : images)
    if (img.manifest.media_type != media::kDockerManifest) return ManifestFormat::Oci;
  return ManifestFormat::Docker;
}

void check_entry(const PlatformImage& img, ManifestFormat format) {
  if (!media::is_manifest(img.manifest.media_type))
    throw Error(img.source + ": media type '" + img.manifest.media_type + "' is not an image manifest");
  if (img.platform.os.empty() || img.platform.architecture.empty())
    throw Error(img.source + ": its config names no os/architecture, so it cannot be placed in an index");
  if (format == ManifestFormat::Docker && img.manifest.media_type != media::kDockerManifest)
    throw Error(img.source + " is an OCI manifest: a Docker manifest list cannot hold it (use --image-format=oci)");
}

}  // namespace

Index assemble_index(const std::vector<PlatformImage>& images, std::optional<ManifestFormat> format) {
  if (images.empty()) throw Error("an index needs at least one platform image");
  ManifestFormat f = format.value_or(pick_format(images));
  Index idx;
  idx.media_type = std::string(f == ManifestFormat::Docker ? media::kDockerManifestList : media::kOciIndex);
  std::map<std::string, std::string> seen;  // platform -> source
  for (const auto& img : images) {
    check_entry(img, f);
    auto [it, fresh] = seen.emplace(img.platform.str(), img.source);
    if (!fresh)
      throw Error("two images for platform " + img.platform.str() + ": " + it->second + " and " + img.source);
    Descriptor d = img.manifest;
    d.platform = img.platform;
    idx.manifests.push_back(std::move(d));
  }
  return idx;
}

}  // namespace kiln::image
