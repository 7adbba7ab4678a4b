#include "image/index_archive.h"

#include <nlohmann/json.hpp>
#include <set>

#include "base/error.h"
#include "digest/digest.h"
#include "image/index_assembly.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "image/oci_layout.h"
#include "image/ustar_writer.h"

namespace kiln::image {
namespace {

std::string blob_name(std::string_view digest) {
  auto d = digest::parse(digest);
  return "blobs/" + d.algorithm + "/" + d.hex;
}

// Each blob once: platforms share base layers, images list a blob twice.
class BlobWriter {
 public:
  explicit BlobWriter(UstarWriter& tar) : tar_(tar) {}
  std::string bytes(const std::string& data) {
    std::string digest = digest::sha256_of(data).str();
    if (seen_.insert(digest).second) tar_.add(blob_name(digest), data);
    return digest;
  }
  void file(const LayerBlob& l) {
    if (!std::filesystem::exists(l.file))
      throw Error("image archive: file " + l.file.string() + " for layer " + l.descriptor.digest + " does not exist");
    if (seen_.insert(l.descriptor.digest).second) tar_.add_file(blob_name(l.descriptor.digest), l.file);
  }

 private:
  UstarWriter& tar_;
  std::set<std::string> seen_;
};

nlohmann::json docker_entry(const ArchiveImage& img, const std::vector<std::string>& repo_tags) {
  nlohmann::json e;
  e["Config"] = blob_name(digest::sha256_of(img.blobs.config_json).str());
  e["RepoTags"] = repo_tags;
  e["Layers"] = nlohmann::json::array();
  for (const auto& l : img.blobs.layers) e["Layers"].push_back(blob_name(l.descriptor.digest));
  return e;
}

}  // namespace

void write_index_archive(const std::filesystem::path& out, const std::vector<ArchiveImage>& images,
                         std::size_t tagged_entry, const std::vector<std::string>& repo_tags,
                         const std::optional<std::string>& tag) {
  write_tarball(out, [&](UstarWriter& tar) {
    BlobWriter blobs(tar);
    std::vector<PlatformImage> entries;
    nlohmann::json docker = nlohmann::json::array();
    for (std::size_t i = 0; i < images.size(); ++i) {
      const ArchiveImage& img = images[i];
      for (const auto& l : img.blobs.layers) blobs.file(l);
      blobs.bytes(img.blobs.config_json);
      PlatformImage e;
      e.source = "the " + img.platform.str() + " image";
      e.platform = img.platform;
      e.manifest.media_type = img.blobs.manifest_media_type;
      e.manifest.digest = blobs.bytes(img.blobs.manifest_json);
      e.manifest.size = static_cast<std::int64_t>(img.blobs.manifest_json.size());
      entries.push_back(std::move(e));
      docker.push_back(docker_entry(img, i == tagged_entry ? repo_tags : std::vector<std::string>{}));
    }
    std::string index = to_json(assemble_index(entries, ManifestFormat::Oci));
    Descriptor top;
    top.media_type = std::string(media::kOciIndex);
    top.digest = blobs.bytes(index);
    top.size = static_cast<std::int64_t>(index.size());
    if (tag) top.annotations[std::string(kRefNameAnnotation)] = *tag;
    Index layout_index;
    layout_index.media_type = std::string(media::kOciIndex);
    layout_index.manifests.push_back(top);
    tar.add("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    tar.add("index.json", to_json(layout_index));
    tar.add("manifest.json", docker.dump());
  });
}

}  // namespace kiln::image
