#include "cmd/push_command.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "base/error.h"
#include "cli/push_options.h"
#include "cmd/registry_setup.h"
#include "digest/digest.h"
#include "engine/digest_files.h"
#include "image/saved_image.h"
#include "registry/client.h"
#include "registry/push_image.h"

namespace kiln::cmd {
namespace fsys = std::filesystem;

namespace {

// Upload bytes straight from the tarball or layout, checked as they go.
class VerifiedSource : public registry::BlobSource {
 public:
  VerifiedSource(const image::StoredBlob& b, const std::string& origin) : r_(b, origin) {}
  std::size_t read(char* buf, std::size_t n) override { return r_.read(buf, n); }

 private:
  image::BlobReader r_;
};

registry::PushBlob push_blob_for(const image::StoredBlob& b, const std::string& origin) {
  registry::PushBlob pb;
  pb.descriptor = b.descriptor;
  pb.open = [b, origin] { return std::make_unique<VerifiedSource>(b, origin); };
  return pb;
}

}  // namespace

std::unique_ptr<registry::Client> push_client(const cli::PushOptions& o, const CommandIo& io, log::Logger& log) {
  registry::Options ro = registry_options(o, fsys::path(o.kaniko_dir), io.getenv);
  ro.push_retry = o.push_retry;
  registry::Keychain keys =
      load_keychain(credential_helpers(o), docker_config_dir(fsys::path(o.kaniko_dir), io.getenv), io.getenv);
  return std::make_unique<registry::Client>(std::move(ro), std::move(keys), log);
}

int run_push(const std::vector<std::string>& args, const CommandIo& io) {
  int exit_code = 0;
  auto started = start_command<cli::PushOptions>(args, io, cli::parse_push_options, cli::push_usage, exit_code);
  if (!started) return exit_code;
  cli::PushOptions& o = started->first;
  const log::Logger::Options& lo = started->second;
  log::Logger log(lo);
  return report_errors(log, "error pushing image", [&] {
    std::optional<image::ManifestFormat> format;
    if (o.image_format == "docker") format = image::ManifestFormat::Docker;
    if (o.image_format == "oci") format = image::ManifestFormat::Oci;
    std::vector<registry::Reference> dests;
    for (const auto& d : o.destinations) dests.push_back(registry::parse_reference(d));
    std::unique_ptr<registry::Client> client = push_client(o, io, log);

    image::SavedImage img = image::open_saved_image(o.positional[0], format);
    // Before any byte goes out: a blob the registry already has is never
    // read during the upload, and must not vouch for a damaged input.
    image::verify_blobs(img);
    log.info("Verified " + std::to_string(img.layers.size() + 1) + " blobs of " + img.origin);

    registry::PushManifest pm;
    pm.media_type = img.manifest_media_type;
    pm.bytes = img.manifest_json;
    for (const auto& l : img.layers) pm.blobs.push_back(push_blob_for(l, img.origin));
    pm.blobs.push_back(push_blob_for(img.config, img.origin));

    registry::push_image(*client, pm, dests, log);
    std::string digest = digest::sha256_of(img.manifest_json).str();
    engine::write_digest_files({o.digest_file, o.image_name_digest_file, o.image_name_tag_digest_file}, dests, digest);
  });
}

}  // namespace kiln::cmd
