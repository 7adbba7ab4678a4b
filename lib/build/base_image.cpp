#include "build/base_image.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <optional>
#include <future>
#include <system_error>

#include "base/error.h"
#include "cache/image_cache.h"
#include "digest/digest.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "layer/extractor.h"

namespace kiln::build {
namespace fsys = std::filesystem;

namespace {

// How many blobs download at once: enough to hide per-request latency, few
// enough not to thrash a 2-core CI runner.
constexpr std::size_t kParallelDownloads = 3;

class File {
 public:
  File(const fsys::path& p, const char* mode) : f_(std::fopen(p.c_str(), mode)) {
    if (!f_) throw IoError("opening " + p.string() + ": " + std::error_code(errno, std::generic_category()).message());
  }
  ~File() {
    if (f_) std::fclose(f_);
  }
  std::FILE* get() { return f_; }
  void close(const fsys::path& p) {
    if (std::fclose(f_) != 0) {
      f_ = nullptr;
      throw IoError("writing " + p.string());
    }
    f_ = nullptr;
  }

 private:
  std::FILE* f_;
};

void download_blob(registry::Client& client, const registry::Reference& repo, const image::Descriptor& d,
                   const fsys::path& dest) {
  std::error_code ec;
  if (fsys::exists(dest, ec) && static_cast<std::int64_t>(fsys::file_size(dest, ec)) == d.size) return;
  // Downloaded under a temporary name and renamed only after the client has
  // verified size and digest, so a file named by a digest always has it.
  fsys::path tmp = dest;
  tmp += ".partial";
  {
    File out(tmp, "wb");
    client.fetch_blob(repo, d, [&out, &tmp](const char* p, std::size_t n) {
      if (std::fwrite(p, 1, n, out.get()) != n) throw IoError("writing " + tmp.string());
    });
    out.close(tmp);
  }
  fsys::rename(tmp, dest, ec);
  if (ec) throw IoError("renaming " + tmp.string() + ": " + ec.message());
}

}  // namespace

ImageState scratch_image(const image::Platform& platform) {
  ImageState s;
  s.config.set_platform(platform);
  s.config.set_env({"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});
  s.format = image::ManifestFormat::Docker;
  s.name = "scratch";
  return s;
}

namespace {

// ImageState from the documents, without layer files yet.
PullResult describe(const registry::Reference& ref, const registry::Reference& src, const std::string& manifest_digest,
                    const std::string& media_type, const image::Manifest& manifest, const std::string& config_bytes,
                    const fsys::path& blob_dir) {
  PullResult r;
  r.manifest_digest = manifest_digest;
  r.image.config = image::Config::parse(config_bytes);
  r.image.name = ref.str();
  r.image.format = (media_type == image::media::kOciManifest || manifest.media_type == image::media::kOciManifest ||
                    (manifest.media_type.empty() && media_type.empty()))
                       ? image::ManifestFormat::Oci
                       : image::ManifestFormat::Docker;
  auto diff_ids = r.image.config.diff_ids();
  if (diff_ids.size() != manifest.layers.size())
    throw Error("image " + ref.str() + ": manifest lists " + std::to_string(manifest.layers.size()) +
                " layers but its config has " + std::to_string(diff_ids.size()) + " diff_ids");
  for (std::size_t i = 0; i < manifest.layers.size(); ++i) {
    Layer l;
    l.descriptor = manifest.layers[i];
    l.diff_id = diff_ids[i];
    l.file = blob_dir / digest::parse(l.descriptor.digest).hex;
    l.source = src;
    r.image.layers.push_back(std::move(l));
  }
  return r;
}

// The image from a cache entry, its layers copied (and verified) into
// blob_dir; nullopt, with a warning, when the entry turns out damaged.
std::optional<PullResult> from_cache(const cache::ImageCache& c, const cache::CachedImage& hit,
                                     const registry::Reference& ref, const fsys::path& blob_dir, log::Logger& log) {
  try {
    auto r = describe(ref, hit.source, hit.manifest_digest, hit.media_type, hit.manifest, hit.config_bytes, blob_dir);
    std::error_code ec;
    fsys::create_directories(blob_dir, ec);
    for (const auto& l : r.image.layers) c.copy_layer(l.descriptor, l.file);
    r.from_cache = true;
    return r;
  } catch (const std::exception& e) {
    log.warn("Not using cached " + ref.str() + " (" + hit.manifest_digest + "): " + e.what());
    return std::nullopt;
  }
}

}  // namespace

PullResult pull_image(registry::Client& client, const registry::Reference& ref, const image::Platform& platform,
                      const fsys::path& blob_dir, log::Logger& log, const BaseImageCache& cache) {
  std::optional<cache::ImageCache> store;
  std::string damaged;  // a digest whose cache entry just failed its check
  if (!cache.dir.empty()) {
    store.emplace(cache.dir, log);
    if (auto hit = store->lookup(ref, platform, cache.ttl_seconds, static_cast<std::int64_t>(std::time(nullptr)))) {
      log.info("Found " + hit->manifest_digest + " in local cache for " + ref.str());
      if (auto r = from_cache(*store, *hit, ref, blob_dir, log)) return std::move(*r);
      damaged = hit->manifest_digest;
    }
  }

  log.info("Retrieving image manifest " + ref.str());
  registry::Manifest m = client.resolve(ref, platform);
  if (store && m.digest != damaged) {
    // kaniko's rule: the registry names the digest, the cache may have it.
    if (auto hit = store->find_digest(m.digest)) {
      log.info("Found " + m.digest + " in local cache");
      if (auto r = from_cache(*store, *hit, ref, blob_dir, log)) return std::move(*r);
    }
  }
  image::Manifest manifest = image::parse_manifest(m.bytes, m.media_type);
  const registry::Reference& src = m.source;

  log.info("Retrieving image " + ref.str() + " from registry " + src.registry);
  std::string config_bytes = client.fetch_blob_bytes(src, manifest.config);
  PullResult r = describe(ref, src, m.digest, m.media_type, manifest, config_bytes, blob_dir);

  std::error_code ec;
  fsys::create_directories(blob_dir, ec);
  std::vector<std::future<void>> pending;
  std::size_t next = 0;
  auto launch = [&](std::size_t i) {
    const auto& d = manifest.layers[i];
    pending.push_back(std::async(std::launch::async, [&client, src, d, path = r.image.layers[i].file] {
      download_blob(client, src, d, path);
    }));
  };
  std::exception_ptr first_error;
  for (std::size_t i = 0; i < manifest.layers.size(); ++i) {
    while (next < manifest.layers.size() && next < i + kParallelDownloads) launch(next++);
    try {
      pending[i].get();
    } catch (...) {
      if (!first_error) first_error = std::current_exception();
    }
  }
  if (first_error) std::rethrow_exception(first_error);
  return r;
}

void apply_layers(const ImageState& image, const fsys::path& root, const fs::IgnoreList& ignore, log::Logger& log) {
  layer::ExtractOptions eo;
  eo.ignored = [&ignore](std::string_view p) { return ignore.ignored(p); };
  eo.chown = geteuid() == 0;
  eo.logger = &log;
  for (std::size_t i = 0; i < image.layers.size(); ++i) {
    const Layer& l = image.layers[i];
    File in(l.file, "rb");
    try {
      layer::extract([&in](char* b, std::size_t n) { return std::fread(b, 1, n, in.get()); }, root, eo);
    } catch (const std::exception& e) {
      throw Error("unpacking layer " + std::to_string(i + 1) + " (" + l.descriptor.digest + ") of " + image.name +
                  ": " + e.what());
    }
  }
}

}  // namespace kiln::build
