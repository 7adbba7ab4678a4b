#pragma once
// The `docker save` tarball (what kaniko's --tar-path writes): manifest.json
// listing Config, RepoTags and Layers, the config as <hex>.json and each layer
// blob as <hex>.tar.gz (.tar.zst, .tar) with the hex of its compressed
// digest. `docker load` and `skopeo copy docker-archive:` both accept
// compressed layer files and check them against the config's diff_ids.
#include <filesystem>
#include <string>
#include <vector>

#include "image/image_blobs.h"

namespace kiln::image {

// repo_tags: full references ("registry:5000/app:1.0", "app:latest"); may be
// empty (docker load then creates an untagged image). The tarball is written
// to a temporary name and renamed to out. Throws kiln::Error naming the
// layer when a file does not exist.
void write_docker_archive(const std::filesystem::path& out, const std::string& config_json,
                          const std::vector<LayerBlob>& layers, const std::vector<std::string>& repo_tags);

}  // namespace kiln::image
