#include "cmd/manifest_command.h"

#include <filesystem>
#include <memory>
#include <optional>

#include "base/error.h"
#include "cli/manifest_options.h"
#include "cmd/push_command.h"
#include "digest/digest.h"
#include "engine/digest_files.h"
#include "engine/work_dir.h"
#include "image/config.h"
#include "image/index_assembly.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "registry/blob_download.h"
#include "registry/file_source.h"
#include "registry/push_image.h"

namespace kiln::cmd {
namespace fsys = std::filesystem;

namespace {

// One platform's image as found in its source registry.
struct SourceImage {
  registry::Manifest manifest;  // bytes, media type, digest, where it was fetched
  image::Manifest parsed;
  image::PlatformImage entry;   // what the index says about it
};

SourceImage read_image(registry::Client& client, registry::Manifest m, const std::string& name,
                       std::optional<image::Platform> platform) {
  SourceImage s;
  s.parsed = image::parse_manifest(m.bytes, m.media_type);
  if (!platform) {
    image::Config cfg = image::Config::parse(client.fetch_blob_bytes(m.source, s.parsed.config));
    platform = cfg.platform();
  }
  s.entry.source = name;
  s.entry.platform = *platform;
  s.entry.manifest.media_type = s.parsed.media_type.empty() ? m.media_type : s.parsed.media_type;
  s.entry.manifest.digest = m.digest;
  s.entry.manifest.size = static_cast<std::int64_t>(m.bytes.size());
  s.manifest = std::move(m);
  return s;
}

// A source that is an index gives each of its image entries; entries without
// a platform, or "unknown/unknown" (BuildKit's attestations), are left out.
void read_source(registry::Client& client, const std::string& source, std::vector<SourceImage>& out,
                 log::Logger& log) {
  registry::Reference ref = registry::parse_reference(source);
  registry::Manifest m = client.get_manifest(ref);
  if (!image::media::is_index(m.media_type)) {
    out.push_back(read_image(client, std::move(m), source, std::nullopt));
    return;
  }
  image::Index idx = image::parse_index(m.bytes, m.media_type);
  for (const auto& d : idx.manifests) {
    if (!d.platform || d.platform->os == "unknown") continue;
    registry::Manifest entry = client.get_manifest(registry::with_digest(m.source, d.digest));
    out.push_back(read_image(client, std::move(entry), source + " (" + d.platform->str() + ")", d.platform));
  }
  log.info(source + " is an index: took its " + std::to_string(idx.manifests.size()) + " entries");
}

// The blobs of one source image, mounted from its repository when the
// destination shares the registry, else downloaded once into the work dir.
std::vector<registry::PushBlob> blobs_of(registry::Client& client, const SourceImage& s, const fsys::path& dir) {
  std::vector<image::Descriptor> descs = s.parsed.layers;
  descs.push_back(s.parsed.config);
  std::vector<registry::PushBlob> out;
  for (const auto& d : descs) {
    registry::PushBlob pb;
    pb.descriptor = d;
    pb.mount_from.push_back(s.manifest.source);
    registry::Reference from = s.manifest.source;
    fsys::path file = dir / d.digest.substr(d.digest.find(':') + 1);
    pb.open = [&client, from, d, file] {
      if (!fsys::exists(file))
        registry::download_to_file([&](const registry::BlobSink& sink) { client.fetch_blob(from, d, sink); }, file);
      return std::make_unique<registry::FileSource>(file);
    };
    out.push_back(std::move(pb));
  }
  return out;
}

std::optional<image::ManifestFormat> format_flag(const std::string& v) {
  if (v == "docker") return image::ManifestFormat::Docker;
  if (v == "oci") return image::ManifestFormat::Oci;
  return std::nullopt;
}

// Every source's blobs and manifest (by digest) in every destination
// repository, with push_image's three phases per image; then the index,
// tagged only once every image is confirmed everywhere.
void push_index(registry::Client& client, const std::vector<SourceImage>& images, const std::string& index,
                       std::string_view index_type, const std::vector<registry::Reference>& dests,
                       const fsys::path& dir, log::Logger& log) {
  for (const auto& s : images) {
    registry::PushManifest pm;
    pm.media_type = s.entry.manifest.media_type;
    pm.bytes = s.manifest.bytes;
    pm.blobs = blobs_of(client, s, dir);
    std::vector<registry::Reference> by_digest;  // with_digest drops the tag: only the index gets it
    for (const auto& d : dests) by_digest.push_back(registry::with_digest(d, s.manifest.digest));
    registry::push_image(client, pm, by_digest, log);
  }
  for (const auto& d : dests) log.info("Pushed index " + d.str() + "@" + client.put_manifest(d, index_type, index));
}

}  // namespace

int run_manifest(const std::vector<std::string>& args, const CommandIo& io) {
  int exit_code = 0;
  auto started =
      start_command<cli::ManifestOptions>(args, io, cli::parse_manifest_options, cli::manifest_usage, exit_code);
  if (!started) return exit_code;
  cli::ManifestOptions& o = started->first;
  log::Logger log(started->second);
  return report_errors(log, "error pushing the index", [&] {
    std::vector<registry::Reference> dests;
    for (const auto& d : o.destinations) dests.push_back(registry::parse_reference(d));
    std::unique_ptr<registry::Client> client = push_client(o, io, log);
    std::vector<SourceImage> images;
    for (const auto& src : o.positional) read_source(*client, src, images, log);
    std::vector<image::PlatformImage> entries;
    for (const auto& s : images) entries.push_back(s.entry);
    image::Index idx = image::assemble_index(entries, format_flag(o.image_format));
    std::string index = image::to_json(idx);
    for (const auto& e : idx.manifests) log.info(e.platform->str() + ": " + e.digest);
    engine::WorkDir work(o.kaniko_dir);  // blobs copied from another registry pass through here
    struct Remove {
      engine::WorkDir& w;
      ~Remove() { w.remove(); }
    } remove{work};
    push_index(*client, images, index, idx.media_type, dests, work.path(), log);
    engine::write_digest_files({o.digest_file, o.image_name_digest_file, o.image_name_tag_digest_file}, dests,
                               digest::sha256_of(index).str());
  });
}

}  // namespace kiln::cmd
