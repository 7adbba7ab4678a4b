#include "image/oci_layout.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "base/file.h"
#include "digest/digest.h"
#include "digest/sha256.h"
#include "image/atomic_file.h"
#include "image/descriptor_json.h"
#include "image/media_types.h"

namespace kiln::image {

namespace {

}  // namespace

OciLayout::OciLayout(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_ / "blobs" / "sha256", ec);
  if (ec) throw IoError("creating OCI layout " + dir_.string() + ": " + ec.message());
  auto marker = dir_ / "oci-layout";
  if (std::filesystem::exists(marker)) {
    auto j = parse_object(read_file(marker), marker.string());
    if (!j.contains("imageLayoutVersion") || j["imageLayoutVersion"] != "1.0.0")
      throw Error(marker.string() + ": unsupported imageLayoutVersion");
  } else {
    write_file_atomic(marker, R"({"imageLayoutVersion":"1.0.0"})");
  }
  auto idx = dir_ / "index.json";
  if (std::filesystem::exists(idx)) {
    try {
      index_ = parse_index(read_file(idx));
    } catch (const Error& e) {
      throw Error(idx.string() + ": " + e.what());
    }
  }
  index_.media_type = media::kOciIndex;
  index_.schema_version = 2;
  if (!std::filesystem::exists(idx)) write_file_atomic(idx, to_json(index_));
}

std::filesystem::path OciLayout::blob_path(std::string_view digest) const {
  auto d = digest::parse(digest);
  return dir_ / "blobs" / d.algorithm / d.hex;
}

bool OciLayout::has_blob(std::string_view digest) const { return std::filesystem::exists(blob_path(digest)); }

std::string OciLayout::put_blob(std::string_view bytes) {
  std::string digest = "sha256:" + digest::sha256_hex(bytes);
  auto p = blob_path(digest);
  if (!std::filesystem::exists(p)) write_file_atomic(p, bytes);
  return digest;
}

void OciLayout::put_blob_file(const std::filesystem::path& src, std::string_view digest) {
  auto p = blob_path(digest);
  if (std::filesystem::exists(p)) return;  // content-addressed: same name, same bytes
  copy_file_atomic_sha256(src, p, digest::parse(digest).hex);
}

void OciLayout::add_to_index(Descriptor manifest, const std::optional<std::string>& tag) {
  auto& ms = index_.manifests;
  if (tag) {
    manifest.annotations[std::string(kRefNameAnnotation)] = *tag;
    std::erase_if(ms, [&](const Descriptor& d) {
      auto it = d.annotations.find(std::string(kRefNameAnnotation));
      return it != d.annotations.end() && it->second == *tag;
    });
  } else {
    for (const auto& d : ms)
      if (d.digest == manifest.digest && !d.annotations.count(std::string(kRefNameAnnotation))) return;
  }
  ms.push_back(std::move(manifest));
  write_file_atomic(dir_ / "index.json", to_json(index_));
}

Index OciLayout::index() const { return index_; }

std::optional<Descriptor> OciLayout::tagged(std::string_view tag) const {
  for (const auto& d : index_.manifests) {
    auto it = d.annotations.find(std::string(kRefNameAnnotation));
    if (it != d.annotations.end() && it->second == tag) return d;
  }
  return std::nullopt;
}

std::string OciLayout::read_blob(std::string_view digest) const {
  auto p = blob_path(digest);
  if (!std::filesystem::exists(p)) throw IoError("blob " + std::string(digest) + " is missing from " + dir_.string());
  std::string bytes = read_file(p);
  if ("sha256:" + digest::sha256_hex(bytes) != digest)
    throw Error("blob " + p.string() + " does not match its digest (damaged)");
  return bytes;
}

Descriptor store_oci_image(OciLayout& layout, const ImageBlobs& image) {
  for (const auto& l : image.layers) layout.put_blob_file(l.file, l.descriptor.digest);
  layout.put_blob(image.config_json);
  Descriptor m;
  m.media_type = image.manifest_media_type;
  m.digest = layout.put_blob(image.manifest_json);
  m.size = static_cast<std::int64_t>(image.manifest_json.size());
  return m;
}

Descriptor write_oci_image(const std::filesystem::path& dir, const ImageBlobs& image,
                           const std::optional<std::string>& tag) {
  OciLayout layout(dir);
  Descriptor m = store_oci_image(layout, image);
  layout.add_to_index(m, tag);
  if (tag) m.annotations[std::string(kRefNameAnnotation)] = *tag;
  return m;
}

}  // namespace kiln::image
