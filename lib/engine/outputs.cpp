#include "engine/outputs.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include "base/error.h"
#include "digest/digest.h"
#include "engine/base_image.h"
#include "engine/digest_files.h"
#include "image/docker_archive.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "image/oci_layout.h"
#include "registry/file_source.h"
#include "registry/push_image.h"

namespace kiln::engine {
namespace fsys = std::filesystem;

namespace {

std::string convert_layer_type(const std::string& t, image::ManifestFormat f) {
  using namespace image::media;
  if (f == image::ManifestFormat::Oci) {
    if (t == kDockerLayerGzip) return std::string(kOciLayerGzip);
    if (t == kDockerForeignLayerGzip) return std::string(kOciLayerGzip);
  } else {
    if (t == kOciLayerGzip) return std::string(kDockerLayerGzip);
  }
  return t;
}

}  // namespace

std::optional<std::string> Outputs::first_tag() const {
  if (destinations.empty() || destinations.front().tag.empty()) return std::nullopt;
  return destinations.front().tag;
}

void make_parent_dir(const std::string& path) {
  std::error_code ec;
  fsys::path parent = fsys::path(path).parent_path();
  if (!parent.empty()) fsys::create_directories(parent, ec);
  if (ec) throw IoError("creating directory " + parent.string() + ": " + ec.message());
}

registry::PushBlob layer_push_blob(const registry::Layer& l) {
  registry::PushBlob pb;
  pb.descriptor = l.descriptor;
  // A base layer was streamed into the root, not kept: it is downloaded
  // only when the destination can neither find nor mount it.
  pb.open = [&l] {
    ensure_local(l);
    return std::make_unique<registry::FileSource>(l.file);
  };
  if (l.source) pb.mount_from.push_back(*l.source);
  return pb;
}

image::ImageBlobs assemble(const registry::ImageState& img, image::ManifestFormat format,
                           const std::map<std::string, std::string>& annotations) {
  image::ImageBlobs b;
  b.config_json = img.config.dump();
  image::Descriptor cfg;
  cfg.digest = digest::sha256_of(b.config_json).str();
  cfg.size = static_cast<std::int64_t>(b.config_json.size());
  std::vector<image::Descriptor> layers;
  for (const auto& l : img.layers) {
    image::Descriptor d = l.descriptor;
    d.media_type = convert_layer_type(d.media_type, format);
    layers.push_back(d);
    b.layers.push_back({d, l.file});
  }
  auto m = image::make_manifest(format, cfg, layers, annotations);
  b.manifest_json = image::to_json(m);
  b.manifest_media_type = std::string(format == image::ManifestFormat::Oci ? image::media::kOciManifest
                                                                            : image::media::kDockerManifest);
  return b;
}

registry::PushManifest push_request(const registry::ImageState& img, const image::ImageBlobs& blobs,
                                   image::ManifestFormat format, const std::vector<registry::Reference>& dests) {
  image::Descriptor cfg;
  cfg.digest = digest::sha256_of(blobs.config_json).str();
  cfg.size = static_cast<std::int64_t>(blobs.config_json.size());
  cfg.media_type = format == image::ManifestFormat::Oci ? std::string(image::media::kOciConfig)
                                                        : std::string(image::media::kDockerConfig);
  // Three phases (upload everywhere, confirm, then tag): see push_image.h.
  registry::PushManifest pm;
  pm.media_type = blobs.manifest_media_type;
  pm.bytes = blobs.manifest_json;
  for (std::size_t i = 0; i < img.layers.size(); ++i) {
    const registry::Layer& l = img.layers[i];
    if (l.file.empty() && !dests.empty())
      throw Error("layer " + l.descriptor.digest + " has no local copy to push to " + dests.front().repo_str());
    registry::PushBlob pb = layer_push_blob(l);
    pb.descriptor = blobs.layers[i].descriptor;  // the media type of the output format
    pm.blobs.push_back(std::move(pb));
  }
  registry::PushBlob config;
  config.descriptor = cfg;
  config.open = [&blobs] { return std::make_unique<registry::StringSource>(blobs.config_json); };
  pm.blobs.push_back(std::move(config));
  return pm;
}

OutputResult write_outputs(const registry::ImageState& img, const Outputs& outputs, registry::Client& client,
                           log::Logger& log) {
  image::ManifestFormat format = outputs.format.value_or(img.format);
  const auto& annotations = outputs.annotations;
  if (!annotations.empty()) format = image::ManifestFormat::Oci;  // Docker schema 2 has no annotations
  image::ImageBlobs blobs = assemble(img, format, annotations);
  OutputResult out;
  out.digest = digest::sha256_of(blobs.manifest_json).str();
  const auto& dests = outputs.destinations;

  if (outputs.push) {
    registry::PushManifest pm = push_request(img, blobs, format, dests);
    registry::push_image(client, pm, dests, log, outputs.push_settings, &out.push_times);
  } else {
    log.info("Skipping push to container registry due to --no-push flag");
  }

  if (!outputs.tar_path.empty() || !outputs.oci_layout_path.empty())
    for (const auto& l : img.layers) ensure_local(l);  // these outputs hold every layer's bytes
  if (!outputs.tar_path.empty()) {
    make_parent_dir(outputs.tar_path);
    image::write_docker_archive(outputs.tar_path, blobs.config_json, blobs.layers, outputs.destination_names);
    log.info("Wrote image tarball " + outputs.tar_path);
  }
  if (!outputs.oci_layout_path.empty()) {
    const std::optional<std::string> tag = outputs.first_tag();
    // An OCI layout is read by OCI tools (skopeo's oci: transport, umoci),
    // which only look for OCI media types in index.json: write the image in
    // OCI form there whatever the pushed format is.
    if (format == image::ManifestFormat::Oci)
      image::write_oci_image(outputs.oci_layout_path, blobs, tag);
    else
      image::write_oci_image(outputs.oci_layout_path, assemble(img, image::ManifestFormat::Oci, annotations), tag);
    log.info("Wrote OCI layout " + outputs.oci_layout_path);
  }
  write_digest_files(outputs.digest_files, dests, out.digest);
  return out;
}

}  // namespace kiln::engine
