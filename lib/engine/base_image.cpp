#include "engine/base_image.h"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "base/error.h"
#include "http/client.h"
#include "cache/image_cache.h"
#include "digest/digest.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "layer/decompressor.h"
#include "layer/extractor.h"
#include "layer/pipe.h"
#include "layer/stream_extract.h"
#include "registry/blob_download.h"

namespace kiln::engine {
namespace fsys = std::filesystem;

namespace {

// The ring between download and extraction: enough to ride out a stall of
// either side, small enough to bound memory whatever the layer's size.
constexpr std::size_t kStreamBuffer = 8 * 1024 * 1024;

using Sink = std::function<void(const char*, std::size_t)>;

class File {
 public:
  File(const fsys::path& p, const char* mode) : f_(std::fopen(p.c_str(), mode)) {
    if (!f_) throw IoError("opening " + p.string() + ": " + std::error_code(errno, std::generic_category()).message());
  }
  ~File() {
    if (f_) std::fclose(f_);
  }
  std::FILE* get() { return f_; }

 private:
  std::FILE* f_;
};

// Extracts a layer whose blob bytes `feed` pushes into a sink. Reading and
// decompressing run on a thread of their own (for a registry blob: the
// download, its digest check and inflate), extraction on this one: the two
// largest costs of an unpack, on two cores. The thread ends in close() only
// after `feed` returned (for a download: size and digest checked) and the
// compressed stream ended properly, so extraction succeeds only then. A
// failure there reaches the extractor's next read; an extraction failure
// aborts the pipe, which stops the feed at its next write.
layer::ExtractStats extract_via_thread(const std::function<void(const Sink&)>& feed, const std::string& what,
                                       const fsys::path& root, const layer::ExtractOptions& eo) {
  layer::BytePipe pipe(kStreamBuffer);
  std::thread producer([&pipe, &feed, &what] {
    try {
      layer::Decompressor plain([&pipe](const char* p, std::size_t n) { pipe.write(p, n); }, what);
      feed([&plain](const char* p, std::size_t n) { plain.write(p, n); });
      plain.finish();
      pipe.close();
    } catch (...) {
      pipe.fail(std::current_exception());
    }
  });
  try {
    auto stats = layer::extract_from_pipe(pipe, root, eo);
    producer.join();
    return stats;
  } catch (...) {
    producer.join();
    throw;
  }
}

void read_file_into(const fsys::path& p, const Sink& sink) {
  File in(p, "rb");
  std::vector<char> buf(1 << 20);
  for (;;) {
    std::size_t n = std::fread(buf.data(), 1, buf.size(), in.get());
    if (n > 0) sink(buf.data(), n);
    if (n < buf.size()) {
      if (std::ferror(in.get())) throw IoError("reading " + p.string());
      return;
    }
  }
}

}  // namespace

registry::ImageState scratch_image(const image::Platform& platform) {
  registry::ImageState s;
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
    registry::Layer l;
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
    // Checked in place and used from the cache: no copy. A bad blob makes
    // the whole entry a miss here, before anything is unpacked.
    for (auto& l : r.image.layers) {
      if (!c.has_valid_blob(l.descriptor))
        throw Error("cached layer " + l.descriptor.digest + " is missing or damaged");
      l.file = c.blob_path(l.descriptor.digest);
    }
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
  // Nothing is downloaded here: apply_layers streams each layer when the
  // root needs it, ensure_local copies one to disk if an output needs it.
  // The client outlives every image of the build (BuildEnv owns it).
  registry::Client* cl = &client;
  for (auto& l : r.image.layers)
    l.fetch = [cl, src, d = l.descriptor](const std::function<void(const char*, std::size_t)>& sink) {
      cl->fetch_blob(src, d, sink);
    };
  return r;
}

void apply_layers(const registry::ImageState& image, const fsys::path& root, const fs::IgnoreList& ignore, log::Logger& log,
                  bool keep_copies, int extract_retries) {
  layer::ExtractOptions eo;
  eo.ignored = [&ignore](std::string_view p) { return ignore.ignored(p); };
  eo.chown = geteuid() == 0;
  eo.logger = &log;
  for (std::size_t i = 0; i < image.layers.size(); ++i) {
    const registry::Layer& l = image.layers[i];
    const std::string what = "layer " + l.descriptor.digest;
    const std::string which =
        "unpacking layer " + std::to_string(i + 1) + " (" + l.descriptor.digest + ") of " + image.name;
    for (int attempt = 0;; ++attempt) {
      // A retry downloads afresh: the copy on disk may be what failed.
      bool fresh = attempt > 0 && l.fetch;
      try {
        if (have_file(l) && !fresh) {
          extract_via_thread([&l](const Sink& sink) { read_file_into(l.file, sink); }, what, root, eo);
        } else if (l.fetch && keep_copies && !l.file.empty()) {
          extract_via_thread([&l](const Sink& sink) { registry::download_to_file(l.fetch, l.file, &sink); }, what, root, eo);
        } else if (l.fetch) {
          extract_via_thread(l.fetch, what, root, eo);
        } else {
          throw Error("no copy at " + (l.file.empty() ? std::string("(none)") : l.file.string()) +
                      " and no registry to fetch it from");
        }
        break;
      } catch (const http::Cancelled& e) {
        throw Error(which + ": " + e.what());
      } catch (const std::exception& e) {
        if (attempt >= extract_retries || !l.fetch) throw Error(which + ": " + e.what());
        log.warn(which + " failed: " + e.what() + "; downloading it again (--image-fs-extract-retry, retry " +
                 std::to_string(attempt + 1) + " of " + std::to_string(extract_retries) + ")");
      }
    }
  }
}

// A complete blob is there: files under a digest name only ever appear by
// rename after their digest was checked (ensure_local, the cache).
bool have_file(const registry::Layer& l) {
  if (l.file.empty()) return false;
  std::error_code ec;
  auto size = fsys::file_size(l.file, ec);
  return !ec && static_cast<std::int64_t>(size) == l.descriptor.size;
}

void ensure_local(const registry::Layer& l) {
  if (have_file(l)) return;
  if (!l.fetch || l.file.empty())
    throw Error("layer " + l.descriptor.digest + " has no local copy and no registry to fetch it from");
  registry::download_to_file(l.fetch, l.file);
}

}  // namespace kiln::engine
