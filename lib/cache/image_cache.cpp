#include "cache/image_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>
#include <vector>

#include "base/error.h"
#include "base/file.h"
#include "digest/digest.h"
#include "digest/sha256.h"
#include "image/atomic_file.h"

namespace kiln::cache {
namespace fsys = std::filesystem;
using nlohmann::json;

namespace {

// Hashes a file; nullopt when it cannot be read.
std::optional<std::pair<std::string, std::int64_t>> hash_file(const fsys::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  digest::Sha256 h;
  std::vector<char> buf(256 * 1024);
  std::int64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<std::size_t>(n));
    total += n;
  }
  ::close(fd);
  return std::make_pair("sha256:" + h.hex_final(), total);
}

void ensure_dir(const fsys::path& d) {
  std::error_code ec;
  fsys::create_directories(d, ec);
  if (ec) throw IoError("creating cache directory " + d.string() + ": " + ec.message());
}

}  // namespace

ImageCache::ImageCache(fsys::path cache_dir, log::Logger& log)
    : root_(std::move(cache_dir) / "base-images"), log_(log) {}

fsys::path ImageCache::blob_path(const std::string& d) const {
  auto p = digest::parse(d);  // validated: safe as a file name
  return root_ / "blobs" / p.algorithm / p.hex;
}

std::string ImageCache::ref_key(const registry::Reference& ref, const image::Platform& platform) const {
  // A tag can name an index, so the platform is part of what it resolves to.
  return digest::sha256_hex(ref.str() + "\n" + platform.str());
}

bool ImageCache::blob_matches(const fsys::path& p, const image::Descriptor& d, std::string* why) const {
  auto got = hash_file(p);
  if (!got) {
    *why = "missing or unreadable";
    return false;
  }
  if (got->second != d.size) {
    *why = "has " + std::to_string(got->second) + " bytes, expected " + std::to_string(d.size);
    return false;
  }
  if (got->first != d.digest) {
    *why = "has digest " + got->first;
    return false;
  }
  return true;
}

std::optional<CachedImage> ImageCache::find_digest(const std::string& manifest_digest) const {
  if (!digest::is_valid(manifest_digest)) return std::nullopt;
  auto hex = digest::parse(manifest_digest).hex;
  auto record = read_file_if_present(root_ / "images" / (hex + ".json"));
  if (!record) return std::nullopt;  // a plain miss
  auto damaged = [&](const std::string& what) -> std::optional<CachedImage> {
    log_.warn("Ignoring cached image " + manifest_digest + " in " + root_.string() + ": " + what +
              "; it will be fetched from the registry");
    return std::nullopt;
  };
  CachedImage c;
  c.manifest_digest = manifest_digest;
  try {
    auto j = json::parse(*record);
    c.media_type = j.at("mediaType").get<std::string>();
    c.source = registry::parse_reference(j.at("source").get<std::string>());
    c.stored = j.at("stored").get<std::int64_t>();
  } catch (const std::exception& e) {
    return damaged(std::string("unreadable record: ") + e.what());
  }
  auto mbytes = read_file_if_present(blob_path(manifest_digest));
  if (!mbytes) return damaged("manifest blob missing");
  if (digest::sha256_of(*mbytes).str() != manifest_digest) return damaged("manifest blob does not match its digest");
  c.manifest_bytes = std::move(*mbytes);
  try {
    c.manifest = image::parse_manifest(c.manifest_bytes, c.media_type);
  } catch (const std::exception& e) {
    return damaged(std::string("manifest: ") + e.what());
  }
  auto cbytes = read_file_if_present(blob_path(c.manifest.config.digest));
  if (!cbytes) return damaged("config blob " + c.manifest.config.digest + " missing");
  if (static_cast<std::int64_t>(cbytes->size()) != c.manifest.config.size ||
      digest::sha256_of(*cbytes).str() != c.manifest.config.digest)
    return damaged("config blob " + c.manifest.config.digest + " does not match its digest");
  c.config_bytes = std::move(*cbytes);
  // Layer content is verified when copied out; here only presence and size,
  // so a damaged layer is found before anything is unpacked.
  for (const auto& l : c.manifest.layers) {
    std::error_code ec;
    auto size = fsys::file_size(blob_path(l.digest), ec);
    if (ec) return damaged("layer " + l.digest + " missing");
    if (static_cast<std::int64_t>(size) != l.size)
      return damaged("layer " + l.digest + " has " + std::to_string(size) + " bytes, expected " +
                     std::to_string(l.size));
  }
  return c;
}

std::optional<RefRecord> ImageCache::find_ref(const registry::Reference& ref, const image::Platform& platform) const {
  auto text = read_file_if_present(root_ / "refs" / (ref_key(ref, platform) + ".json"));
  if (!text) return std::nullopt;
  try {
    auto j = json::parse(*text);
    // The key is a hash: check the record is really this reference's.
    if (j.at("reference").get<std::string>() != ref.str() || j.at("platform").get<std::string>() != platform.str())
      return std::nullopt;
    RefRecord r;
    r.digest = j.at("digest").get<std::string>();
    r.stored = j.at("stored").get<std::int64_t>();
    if (!digest::is_valid(r.digest)) throw Error("invalid digest " + r.digest);
    return r;
  } catch (const std::exception& e) {
    log_.warn("Ignoring cache record for " + ref.str() + ": " + e.what());
    return std::nullopt;
  }
}

std::optional<CachedImage> ImageCache::lookup(const registry::Reference& ref, const image::Platform& platform,
                                              long long ttl_seconds, std::int64_t now) const {
  if (!ref.digest.empty()) {
    // Pinned: the manifest digest itself, or an index digest a warmer
    // resolved for this platform.
    if (auto c = find_digest(ref.digest)) return c;
    if (auto r = find_ref(ref, platform)) return find_digest(r->digest);
    return std::nullopt;
  }
  auto r = find_ref(ref, platform);
  if (!r) return std::nullopt;
  if (now - r->stored > ttl_seconds) {
    log_.debug("Cached " + ref.str() + " is older than --cache-ttl; asking the registry");
    return std::nullopt;
  }
  return find_digest(r->digest);
}

void ImageCache::copy_layer(const image::Descriptor& layer, const fsys::path& dest) const {
  auto src = blob_path(layer.digest);
  std::error_code ec;
  auto size = fsys::file_size(src, ec);
  if (ec || static_cast<std::int64_t>(size) != layer.size)
    throw Error("cached layer " + layer.digest + " in " + root_.string() + " is missing or has the wrong size");
  try {
    image::copy_file_atomic_sha256(src, dest, digest::parse(layer.digest).hex);
  } catch (const std::exception& e) {
    throw Error("cached layer " + layer.digest + " is damaged: " + e.what());
  }
}

FileLock ImageCache::lock(const registry::Reference& ref, const image::Platform& platform) const {
  ensure_dir(root_ / "locks");
  return FileLock(root_ / "locks" / (ref_key(ref, platform) + ".lock"));
}

bool ImageCache::has_valid_blob(const image::Descriptor& d) const {
  std::string why;
  if (blob_matches(blob_path(d.digest), d, &why)) return true;
  std::error_code ec;
  if (fsys::exists(blob_path(d.digest), ec))
    log_.warn("Cached blob " + d.digest + " " + why + "; fetching it again");
  return false;
}

void ImageCache::write_blob(const image::Descriptor& d, const Producer& producer) const {
  auto dest = blob_path(d.digest);
  ensure_dir(dest.parent_path());
  // A unique temporary name per writer: two warmers fetching one blob never
  // write into the same file; whichever renames last wins with equal bytes.
  std::string tmp = (dest.parent_path() / ("." + dest.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw SystemError("creating temporary file for " + dest.string(), errno);
  auto fail = [&](const std::string& what) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw IoError(what);
  };
  digest::Sha256 h;
  std::int64_t total = 0;
  try {
    producer([&](const char* p, std::size_t n) {
      h.update(p, n);
      total += static_cast<std::int64_t>(n);
      while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
          if (errno == EINTR) continue;
          throw SystemError("writing " + tmp, errno);
        }
        p += w;
        n -= static_cast<std::size_t>(w);
      }
    });
  } catch (const std::exception& e) {
    fail("fetching blob " + d.digest + " into the cache: " + e.what());
  }
  std::string got = "sha256:" + h.hex_final();
  if (total != d.size || got != d.digest)
    fail("blob " + d.digest + " arrived as " + std::to_string(total) + " bytes with digest " + got);
  ::fchmod(fd, 0644);
  int f = fd;
  fd = -1;
  if (::close(f) != 0) fail("closing " + tmp + ": " + std::strerror(errno));
  if (::rename(tmp.c_str(), dest.c_str()) != 0) fail("renaming into " + dest.string() + ": " + std::strerror(errno));
}

void ImageCache::commit(const registry::Reference& ref, const image::Platform& platform,
                        const std::string& manifest_digest, const std::string& media_type,
                        const registry::Reference& source, std::int64_t now) const {
  auto mbytes = read_file_if_present(blob_path(manifest_digest));
  if (!mbytes || digest::sha256_of(*mbytes).str() != manifest_digest)
    throw IoError("caching " + ref.str() + ": manifest blob " + manifest_digest + " is not stored correctly");
  auto m = image::parse_manifest(*mbytes, media_type);
  std::vector<image::Descriptor> needed = m.layers;
  needed.push_back(m.config);
  for (const auto& d : needed) {
    std::error_code ec;
    auto size = fsys::file_size(blob_path(d.digest), ec);
    if (ec || static_cast<std::int64_t>(size) != d.size)
      throw IoError("caching " + ref.str() + ": blob " + d.digest + " is not stored");
  }
  auto hex = digest::parse(manifest_digest).hex;
  ensure_dir(root_ / "images");
  ensure_dir(root_ / "refs");
  // The image record first, the reference last: a reader that finds the
  // reference always finds a complete image behind it.
  json rec = {{"mediaType", media_type}, {"source", source.str()}, {"stored", now}};
  image::write_file_atomic(root_ / "images" / (hex + ".json"), rec.dump());
  json r = {{"reference", ref.str()}, {"platform", platform.str()}, {"digest", manifest_digest}, {"stored", now}};
  image::write_file_atomic(root_ / "refs" / (ref_key(ref, platform) + ".json"), r.dump());
}

}  // namespace kiln::cache
