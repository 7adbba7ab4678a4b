// Layer-cache entries in an OCI image layout on a local volume: blobs under
// blobs/sha256, each entry's manifest listed in index.json with its key as
// the ref name. Blobs and index.json are written atomically (a temporary
// name, then a rename), so a reader never sees half a file; a lock file
// serialises the read-modify-write of index.json between the stores of one
// build and between builds sharing the volume.
#include "base/error.h"
#include "cache/entry_store.h"
#include "cache/file_lock.h"
#include "digest/digest.h"
#include "image/atomic_file.h"
#include "image/media_types.h"
#include "image/oci_layout.h"
#include "layer/blob_diff_id.h"

namespace kiln::cache {
namespace {

class OciEntryStore : public EntryStore {
 public:
  explicit OciEntryStore(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    if (ec) throw IoError("creating the layer cache " + name() + ": " + ec.message());
    FileLock lock(lock_file());
    image::OciLayout layout(dir_);  // creates it, or checks the one there
  }

  std::string name() const override { return "oci:" + dir_.string(); }

  std::optional<StoredManifest> manifest(const std::string& key) override {
    image::OciLayout layout(dir_);
    auto d = layout.tagged(key);
    if (!d) return std::nullopt;
    return StoredManifest{layout.read_blob(d->digest), d->media_type};
  }

  bool has(const std::string& key) override { return image::OciLayout(dir_).tagged(key).has_value(); }

  std::string blob_bytes(const std::string&, const image::Descriptor& d) override {
    return image::OciLayout(dir_).read_blob(d.digest);
  }

  std::string layer_to_file(const image::Descriptor& d, const std::filesystem::path& dest) override {
    image::OciLayout layout(dir_);
    image::copy_file_atomic_sha256(layout.blob_path(d.digest), dest, digest::parse(d.digest).hex);
    return layer::blob_diff_id(dest);
  }

  void put(const std::string& key, const CacheImage& img, const std::optional<registry::Layer>& layer) override {
    FileLock lock(lock_file());
    image::OciLayout layout(dir_);  // read under the lock: other entries stay listed
    if (layer) layout.put_blob_file(layer->file, layer->descriptor.digest);
    layout.put_blob(img.config_json);
    image::Descriptor m;
    m.media_type = std::string(image::media::kOciManifest);
    m.digest = layout.put_blob(img.manifest_json);
    m.size = static_cast<std::int64_t>(img.manifest_json.size());
    layout.add_to_index(m, key);
  }

  std::optional<registry::Reference> mount_source() const override { return std::nullopt; }

 private:
  std::filesystem::path lock_file() const { return dir_ / ".kiln-index.lock"; }

  std::filesystem::path dir_;
};

}  // namespace

std::optional<std::filesystem::path> oci_cache_dir(std::string_view flag) {
  if (flag.substr(0, 4) != "oci:") return std::nullopt;
  return std::filesystem::path(std::string(flag.substr(4))).lexically_normal();
}

std::unique_ptr<EntryStore> oci_entry_store(const std::filesystem::path& dir) {
  return std::make_unique<OciEntryStore>(dir);
}

}  // namespace kiln::cache
