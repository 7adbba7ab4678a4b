#pragma once
// --tar-path for a build of several platforms: one tarball that is both an
// OCI image layout (oci-layout, index.json naming the image index, every blob
// under blobs/sha256/: what `skopeo copy oci-archive:` and newer Docker read)
// and a docker-archive (manifest.json with one entry per platform, so Docker
// 20.10's `docker load` takes it; only `tagged_entry` carries the tags, since
// one tag can name one image there), as docker save writes since Docker 25.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "image/descriptor.h"
#include "image/image_blobs.h"

namespace kiln::image {

struct ArchiveImage {
  ImageBlobs blobs;  // in OCI form (OCI tools read only OCI media types from a layout)
  Platform platform;
};

// The tarball is written to a temporary name and renamed to out. tag: the
// index's ref name in index.json (none when unset). Throws kiln::Error
// naming a layer file that does not exist.
void write_index_archive(const std::filesystem::path& out, const std::vector<ArchiveImage>& images,
                         std::size_t tagged_entry, const std::vector<std::string>& repo_tags,
                         const std::optional<std::string>& tag);

}  // namespace kiln::image
