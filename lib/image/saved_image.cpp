#include "image/saved_image.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/error.h"
#include "base/file.h"
#include "digest/digest.h"
#include "image/descriptor_json.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "image/oci_layout.h"
#include "image/tar_index.h"

namespace kiln::image {
namespace fsys = std::filesystem;

namespace {

enum class Compression { None, Gzip, Zstd };

std::string read_range(const fsys::path& file, std::uint64_t offset, std::uint64_t size) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw SystemError("opening " + file.string(), errno);
  std::string out(size, '\0');
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(out.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uint64_t>(in.gcount()) != size) throw IoError("reading " + file.string() + ": truncated");
  return out;
}

Compression sniff(const fsys::path& file, const TarMember& m) {
  std::string head = read_range(file, m.offset, std::min<std::uint64_t>(m.size, 4));
  if (head.size() >= 2 && head[0] == '\x1f' && head[1] == '\x8b') return Compression::Gzip;
  if (head.size() >= 4 && head == std::string("\x28\xb5\x2f\xfd", 4)) return Compression::Zstd;
  return Compression::None;
}

// The digest a member's name claims: the last path component is 64 hex
// digits, maybe followed by an extension (".tar.gz", ".json").
std::optional<std::string> digest_in_name(const std::string& name) {
  std::string base = name.substr(name.rfind('/') == std::string::npos ? 0 : name.rfind('/') + 1);
  std::string hex = base.substr(0, base.find('.'));
  if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
  return "sha256:" + hex;
}

std::string layer_media_type(Compression c, ManifestFormat f) {
  if (f == ManifestFormat::Docker) return std::string(media::kDockerLayerGzip);  // only gzip reaches here
  switch (c) {
    case Compression::Gzip: return std::string(media::kOciLayerGzip);
    case Compression::Zstd: return std::string(media::kOciLayerZstd);
    case Compression::None: break;
  }
  return std::string(media::kOciLayer);
}

StoredBlob layout_blob(const fsys::path& dir, const Descriptor& d, const std::string& what) {
  auto dg = digest::parse(d.digest);
  if (dg.algorithm != "sha256") throw Error(what + " " + d.digest + ": only sha256 digests can be verified");
  StoredBlob b;
  b.descriptor = d;
  b.file = dir / "blobs" / dg.algorithm / dg.hex;
  std::error_code ec;
  if (!fsys::is_regular_file(b.file, ec)) throw Error(what + " " + d.digest + " is missing (" + b.file.string() + ")");
  return b;
}

}  // namespace

SavedImage read_docker_archive(const fsys::path& tar, std::optional<ManifestFormat> format) {
  SavedImage img;
  img.origin = "docker archive " + tar.string();
  auto members = index_tar(tar);
  auto member = [&](const std::string& name, const std::string& what) -> const TarMember& {
    auto it = members.find(name);
    if (it == members.end()) throw Error(img.origin + ": " + what + " " + name + " is not in the archive");
    return it->second;
  };
  const TarMember& mf = member("manifest.json", "file");
  nlohmann::json entries;
  try {
    entries = nlohmann::json::parse(read_range(tar, mf.offset, mf.size));
  } catch (const nlohmann::json::exception&) {
    throw Error(img.origin + ": manifest.json is not valid JSON");
  }
  if (!entries.is_array() || entries.size() != 1)
    throw Error(img.origin + ": manifest.json must list exactly one image (it lists " +
                std::to_string(entries.is_array() ? entries.size() : 0) + ")");
  const auto& e = entries[0];
  if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string() || !e.contains("Layers") ||
      !e["Layers"].is_array())
    throw Error(img.origin + ": manifest.json entry needs \"Config\" and \"Layers\"");

  std::string config_name = e["Config"].get<std::string>();
  const TarMember& cm = member(config_name, "config");
  std::string config_json = read_range(tar, cm.offset, cm.size);
  std::string config_digest = digest::sha256_of(config_json).str();
  if (auto claimed = digest_in_name(config_name); claimed && *claimed != config_digest)
    throw Error(img.origin + ": config " + config_name + " does not match its digest (" + *claimed + "), got " +
                config_digest);
  auto config = parse_object(config_json, img.origin + ": config");
  std::vector<std::string> diff_ids;
  if (auto r = config.find("rootfs"); r != config.end() && r->is_object())
    if (auto d = r->find("diff_ids"); d != r->end() && d->is_array())
      for (const auto& id : *d) diff_ids.push_back(id.is_string() ? id.get<std::string>() : "");
  if (diff_ids.size() != e["Layers"].size())
    throw Error(img.origin + ": the config lists " + std::to_string(diff_ids.size()) + " diff_ids for " +
                std::to_string(e["Layers"].size()) + " layers");

  std::vector<Compression> kinds;
  for (std::size_t i = 0; i < e["Layers"].size(); ++i) {
    const auto& ln = e["Layers"][i];
    if (!ln.is_string()) throw Error(img.origin + ": manifest.json layer " + std::to_string(i) + " is not a name");
    std::string name = ln.get<std::string>();
    const TarMember& m = member(name, "layer");
    Compression c = sniff(tar, m);
    std::optional<std::string> d = digest_in_name(name);
    if (!d && c == Compression::None) d = diff_ids[i];  // an uncompressed layer's digest is its diff_id
    if (!d || !digest::is_valid(*d))
      throw Error(img.origin + ": layer " + name + " is compressed and its name carries no digest to verify it by");
    StoredBlob b;
    b.file = tar;
    b.offset = m.offset;
    b.descriptor.digest = *d;
    b.descriptor.size = static_cast<std::int64_t>(m.size);
    img.layers.push_back(b);
    kinds.push_back(c);
  }
  ManifestFormat f = format.value_or(ManifestFormat::Docker);
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (kinds[i] == Compression::Gzip) continue;
    if (format == ManifestFormat::Docker)
      throw Error(img.origin + ": layer " + img.layers[i].descriptor.digest +
                  " is not gzip-compressed, which Docker schema 2 cannot describe; use --image-format=oci");
    f = ManifestFormat::Oci;
  }
  for (std::size_t i = 0; i < kinds.size(); ++i) img.layers[i].descriptor.media_type = layer_media_type(kinds[i], f);

  img.config.file = tar;
  img.config.offset = cm.offset;
  img.config.descriptor.digest = config_digest;
  img.config.descriptor.size = static_cast<std::int64_t>(cm.size);
  std::vector<Descriptor> layer_descs;
  for (const auto& l : img.layers) layer_descs.push_back(l.descriptor);
  Manifest m = make_manifest(f, img.config.descriptor, layer_descs);
  img.config.descriptor = m.config;  // with the config media type for f
  img.manifest_json = to_json(m);
  img.manifest_media_type = std::string(f == ManifestFormat::Oci ? media::kOciManifest : media::kDockerManifest);
  return img;
}

SavedImage read_oci_layout(const fsys::path& dir, const std::optional<std::string>& tag) {
  SavedImage img;
  img.origin = "OCI layout " + dir.string();
  std::error_code ec;
  if (!fsys::is_regular_file(dir / "oci-layout", ec)) throw Error(img.origin + ": no oci-layout file");
  Index index;
  try {
    index = parse_index(read_file(dir / "index.json"));
  } catch (const Error& e) {
    throw Error(img.origin + ": index.json: " + e.what());
  }
  const Descriptor* chosen = nullptr;
  std::string tags;
  for (const auto& d : index.manifests) {
    auto it = d.annotations.find(std::string(kRefNameAnnotation));
    std::string name = it == d.annotations.end() ? "" : it->second;
    if (!name.empty()) tags += (tags.empty() ? "" : ", ") + name;
    if (tag && name == *tag) chosen = &d;
  }
  if (!tag && index.manifests.size() == 1) chosen = &index.manifests[0];
  if (!chosen) {
    if (tag) throw Error(img.origin + ": no image tagged " + *tag + " (tags: " + (tags.empty() ? "none" : tags) + ")");
    throw Error(img.origin + " holds " + std::to_string(index.manifests.size()) +
                " images: name one as DIR:TAG (tags: " + (tags.empty() ? "none" : tags) + ")");
  }
  if (media::is_index(chosen->media_type))
    throw Error(img.origin + ": " + chosen->digest + " is an image index; executor push takes a single image");
  StoredBlob mb = layout_blob(dir, *chosen, "manifest");
  {
    BlobReader r(mb, img.origin);
    std::string bytes(static_cast<std::size_t>(chosen->size), '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
      std::size_t n = r.read(bytes.data() + got, bytes.size() - got);
      if (n == 0) break;
      got += n;
    }
    char extra;
    r.read(&extra, 1);  // the end: makes the reader check the digest
    img.manifest_json = std::move(bytes);
  }
  img.manifest_media_type = chosen->media_type.empty() ? detect_media_type(img.manifest_json) : chosen->media_type;
  Manifest m;
  try {
    m = parse_manifest(img.manifest_json, img.manifest_media_type);
  } catch (const Error& e) {
    throw Error(img.origin + ": manifest " + chosen->digest + ": " + e.what());
  }
  img.config = layout_blob(dir, m.config, "config");
  for (const auto& l : m.layers) img.layers.push_back(layout_blob(dir, l, "layer"));
  return img;
}

SavedImage open_saved_image(const std::string& arg, std::optional<ManifestFormat> format) {
  std::error_code ec;
  if (fsys::is_directory(arg, ec)) return read_oci_layout(arg, std::nullopt);
  if (fsys::is_regular_file(arg, ec)) return read_docker_archive(arg, format);
  if (auto colon = arg.rfind(':'); colon != std::string::npos && fsys::is_directory(arg.substr(0, colon), ec))
    return read_oci_layout(arg.substr(0, colon), arg.substr(colon + 1));
  throw UsageError("image to push " + arg + ": no such file or directory (a docker-archive tarball, an OCI layout "
                   "directory, or DIR:TAG)");
}

BlobReader::BlobReader(const StoredBlob& blob, std::string origin)
    : blob_(blob), origin_(std::move(origin)), left_(static_cast<std::uint64_t>(blob.descriptor.size)),
      sha_(std::make_unique<digest::Sha256>()) {
  f_ = std::fopen(blob_.file.c_str(), "rb");
  if (!f_) throw SystemError("opening " + blob_.file.string(), errno);
  if (fseeko(f_, static_cast<off_t>(blob_.offset), SEEK_SET) != 0) {
    std::fclose(f_);
    throw SystemError("reading " + blob_.file.string(), errno);
  }
}

BlobReader::~BlobReader() {
  if (f_) std::fclose(f_);
}

std::size_t BlobReader::read(char* buf, std::size_t n) {
  if (left_ == 0) {
    if (!checked_) {
      checked_ = true;
      std::string got = "sha256:" + sha_->hex_final();
      if (got != blob_.descriptor.digest)
        throw Error(origin_ + ": blob " + blob_.descriptor.digest + " (" + blob_.file.string() +
                    ") does not match its digest: its content hashes to " + got);
    }
    return 0;
  }
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n, left_));
  std::size_t got = std::fread(buf, 1, want, f_);
  if (got == 0)
    throw Error(origin_ + ": blob " + blob_.descriptor.digest + " (" + blob_.file.string() + ") is shorter than " +
                std::to_string(blob_.descriptor.size) + " bytes");
  sha_->update(buf, got);
  left_ -= got;
  return got;
}

void verify_blobs(const SavedImage& img) {
  std::vector<char> buf(1 << 20);
  auto check = [&](const StoredBlob& b) {
    BlobReader r(b, img.origin);
    while (r.read(buf.data(), buf.size()) != 0) {
    }
  };
  check(img.config);
  for (const auto& l : img.layers) check(l);
}

}  // namespace kiln::image
