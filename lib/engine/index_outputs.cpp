#include "engine/index_outputs.h"

#include "base/error.h"
#include "digest/digest.h"
#include "engine/base_image.h"
#include "image/index_archive.h"
#include "image/index_assembly.h"
#include "image/media_types.h"
#include "image/oci_layout.h"
#include "image/platform.h"
#include "registry/push_image.h"

namespace kiln::engine {
namespace {

image::PlatformImage entry_of(const PlatformBuild& b, const image::ImageBlobs& blobs, log::Logger& log) {
  image::PlatformImage e;
  e.source = "the " + b.platform.str() + " image";
  e.platform = b.platform;
  e.manifest.media_type = blobs.manifest_media_type;
  e.manifest.digest = digest::sha256_of(blobs.manifest_json).str();
  e.manifest.size = static_cast<std::int64_t>(blobs.manifest_json.size());
  // A last stage FROM --platform=$BUILDPLATFORM holds the build machine's
  // files: the index still lists it where it was asked for, as BuildKit does.
  image::Platform said = b.image.config.platform();
  if (image::normalize(said).architecture != image::normalize(b.platform).architecture)
    log.warn(e.source + " has a config for " + said.str() + " (its last stage's base image is for that platform)");
  return e;
}

void push_all(const std::vector<PlatformBuild>& builds, const std::vector<image::ImageBlobs>& blobs,
              image::ManifestFormat format, const image::Index& index, const std::string& index_json,
              const Outputs& outputs, registry::Client& client, log::Logger& log, registry::PushTimes* times) {
  for (std::size_t i = 0; i < builds.size(); ++i) {
    registry::PushManifest pm = push_request(builds[i].image, blobs[i], format, outputs.destinations);
    std::vector<registry::Reference> by_digest;  // with_digest drops the tag: only the index gets it
    for (const auto& d : outputs.destinations) by_digest.push_back(registry::with_digest(d, index.manifests[i].digest));
    log.info("Pushing the " + builds[i].platform.str() + " image");
    registry::push_image(client, pm, by_digest, log);
  }
  registry::PushManifest ix;
  ix.media_type = index.media_type;
  ix.bytes = index_json;
  registry::push_image(client, ix, outputs.destinations, log, outputs.push_settings, times);
}

// OCI tools read only OCI media types from a layout: the images and the
// index are written in OCI form whatever was pushed.
void write_layout(const std::vector<PlatformBuild>& builds, const std::vector<image::ImageBlobs>& blobs,
                  image::ManifestFormat format, const Outputs& outputs, log::Logger& log) {
  image::OciLayout layout(outputs.oci_layout_path);
  std::vector<image::PlatformImage> entries;
  for (std::size_t i = 0; i < builds.size(); ++i) {
    for (const auto& l : builds[i].image.layers) ensure_local(l);
    image::ImageBlobs oci =
        format == image::ManifestFormat::Oci ? blobs[i] : assemble(builds[i].image, image::ManifestFormat::Oci, outputs.annotations);
    image::PlatformImage e;
    e.source = "the " + builds[i].platform.str() + " image";
    e.platform = builds[i].platform;
    e.manifest = image::store_oci_image(layout, oci);
    entries.push_back(std::move(e));
  }
  std::string json = image::to_json(image::assemble_index(entries, image::ManifestFormat::Oci));
  image::Descriptor d;
  d.media_type = std::string(image::media::kOciIndex);
  d.digest = layout.put_blob(json);
  d.size = static_cast<std::int64_t>(json.size());
  const std::optional<std::string> tag = outputs.first_tag();
  layout.add_to_index(d, tag);
  log.info("Wrote OCI layout " + outputs.oci_layout_path + " (an index of " + std::to_string(builds.size()) +
           " platforms)");
}

// docker load tags one image per tag: this machine's platform gets the
// destinations' tags (the first platform when none is this machine's).
std::size_t tagged_entry(const std::vector<PlatformBuild>& builds) {
  const image::Platform native = image::normalize(image::native_platform());
  for (std::size_t i = 0; i < builds.size(); ++i) {
    const image::Platform p = image::normalize(builds[i].platform);
    if (p.os == native.os && p.architecture == native.architecture) return i;
  }
  return 0;
}

void write_archive(const std::vector<PlatformBuild>& builds, const std::vector<image::ImageBlobs>& blobs,
                   image::ManifestFormat format, const Outputs& outputs, log::Logger& log) {
  std::vector<image::ArchiveImage> images;
  for (std::size_t i = 0; i < builds.size(); ++i) {
    for (const auto& l : builds[i].image.layers) ensure_local(l);
    images.push_back({format == image::ManifestFormat::Oci
                          ? blobs[i]
                          : assemble(builds[i].image, image::ManifestFormat::Oci, outputs.annotations),
                      builds[i].platform});
  }
  make_parent_dir(outputs.tar_path);
  const std::optional<std::string> tag = outputs.first_tag();
  const std::size_t tagged = tagged_entry(builds);
  image::write_index_archive(outputs.tar_path, images, tagged, outputs.destination_names, tag);
  log.info("Wrote image tarball " + outputs.tar_path + " (an OCI layout of " + std::to_string(builds.size()) +
           " platforms; docker load tags the " + builds[tagged].platform.str() + " image)");
}

}  // namespace

OutputResult write_index_outputs(const std::vector<PlatformBuild>& builds, const Outputs& outputs,
                                 registry::Client& client, log::Logger& log) {
  if (builds.empty()) throw Error("no platform was built");
  image::ManifestFormat format = outputs.format.value_or(builds.front().image.format);
  if (!outputs.annotations.empty()) format = image::ManifestFormat::Oci;  // Docker schema 2 has no annotations
  std::vector<image::ImageBlobs> blobs;
  std::vector<image::PlatformImage> entries;
  for (const auto& b : builds) {
    blobs.push_back(assemble(b.image, format, outputs.annotations));
    entries.push_back(entry_of(b, blobs.back(), log));
  }
  image::Index index = image::assemble_index(entries, format);
  const std::string index_json = image::to_json(index);
  for (const auto& e : index.manifests) log.info(e.platform->str() + ": " + e.digest);
  OutputResult out;
  out.digest = digest::sha256_of(index_json).str();
  if (outputs.push)
    push_all(builds, blobs, format, index, index_json, outputs, client, log, &out.push_times);
  else
    log.info("Skipping push to container registry due to --no-push flag");
  if (!outputs.oci_layout_path.empty()) write_layout(builds, blobs, format, outputs, log);
  if (!outputs.tar_path.empty()) write_archive(builds, blobs, format, outputs, log);
  write_digest_files(outputs.digest_files, outputs.destinations, out.digest);
  return out;
}

}  // namespace kiln::engine
