#include "image/docker_archive.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "digest/digest.h"
#include "digest/sha256.h"
#include "image/media_types.h"
#include "image/ustar_writer.h"

namespace kiln::image {

namespace {

std::string layer_file_name(const LayerBlob& l) {
  auto d = digest::parse(l.descriptor.digest);
  const std::string& t = l.descriptor.media_type;
  std::string ext = ".tar";
  if (t == media::kOciLayerGzip || t == media::kDockerLayerGzip || t == media::kDockerForeignLayerGzip) ext = ".tar.gz";
  if (t == media::kOciLayerZstd) ext = ".tar.zst";
  return d.hex + ext;
}

}  // namespace

void write_docker_archive(const std::filesystem::path& out, const std::string& config_json,
                          const std::vector<LayerBlob>& layers, const std::vector<std::string>& repo_tags) {
  std::string config_name = digest::sha256_hex(config_json) + ".json";
  nlohmann::json entry;
  entry["Config"] = config_name;
  entry["RepoTags"] = repo_tags;
  entry["Layers"] = nlohmann::json::array();
  for (const auto& l : layers) {
    if (!std::filesystem::exists(l.file))
      throw Error("docker archive: file " + l.file.string() + " for layer " + l.descriptor.digest + " does not exist");
    entry["Layers"].push_back(layer_file_name(l));
  }
  nlohmann::json manifest = nlohmann::json::array({entry});

  write_tarball(out, [&](UstarWriter& tar) {
    tar.add(config_name, config_json);
    std::vector<std::string> written;
    for (const auto& l : layers) {
      std::string name = layer_file_name(l);
      // An image may list the same blob twice (e.g. two empty layers).
      if (std::find(written.begin(), written.end(), name) != written.end()) continue;
      tar.add_file(name, l.file);
      written.push_back(name);
    }
    tar.add("manifest.json", manifest.dump());
  });
}

}  // namespace kiln::image
