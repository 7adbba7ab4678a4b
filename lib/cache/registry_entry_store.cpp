// Layer-cache entries in a registry repository, tagged with their keys.
#include "cache/entry_store.h"
#include "layer/blob_diff_id.h"
#include "registry/blob_download.h"
#include "registry/file_source.h"
#include "registry/push_image.h"

namespace kiln::cache {
namespace {

class RegistryEntryStore : public EntryStore {
 public:
  RegistryEntryStore(registry::Client& client, registry::Reference repo) : client_(client), repo_(std::move(repo)) {
    repo_.tag.clear();
    repo_.digest.clear();
  }

  std::string name() const override { return repo_.repo_str(); }

  std::optional<StoredManifest> manifest(const std::string& key) override {
    auto ref = tagged(key);
    if (!client_.head_manifest(ref)) return std::nullopt;
    auto m = client_.get_manifest(ref);
    return StoredManifest{m.bytes, m.media_type};
  }

  bool has(const std::string& key) override { return client_.head_manifest(tagged(key)).has_value(); }

  std::string blob_bytes(const std::string& key, const image::Descriptor& d) override {
    return client_.fetch_blob_bytes(tagged(key), d);
  }

  // The diff_id is computed as the bytes pass, so the blob is not read twice.
  std::string layer_to_file(const image::Descriptor& d, const std::filesystem::path& dest) override {
    layer::DiffIdStream ids("layer " + d.digest);
    registry::BlobSink hash = [&ids](const char* p, std::size_t n) { ids.write(p, n); };
    std::string diff_id;
    // finish() inside the fetch: a blob that does not decompress is not kept.
    registry::download_to_file(
        [&](const registry::BlobSink& sink) {
          client_.fetch_blob(repo_, d, sink);
          diff_id = ids.finish();
        },
        dest, &hash);
    return diff_id;
  }

  void put(const std::string& key, const CacheImage& img, const std::optional<registry::Layer>& layer) override {
    auto ref = tagged(key);
    if (layer) {
      const std::filesystem::path file = layer->file;
      client_.push_blob(ref, layer->descriptor, [file] { return std::make_unique<registry::FileSource>(file); });
    }
    std::string config = img.config_json;
    // The source reads the lambda's own copy, which lives as long as push_blob runs.
    client_.push_blob(ref, img.config, [config] { return std::make_unique<registry::StringSource>(config); });
    client_.put_manifest(ref, "application/vnd.oci.image.manifest.v1+json", img.manifest_json);
  }

  std::optional<registry::Reference> mount_source() const override { return repo_; }

 private:
  registry::Reference tagged(const std::string& key) const {
    registry::Reference r = repo_;
    r.tag = key;
    return r;
  }

  registry::Client& client_;
  registry::Reference repo_;
};

}  // namespace

std::unique_ptr<EntryStore> registry_entry_store(registry::Client& client, registry::Reference repo) {
  return std::make_unique<RegistryEntryStore>(client, std::move(repo));
}

}  // namespace kiln::cache
