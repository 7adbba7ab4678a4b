#pragma once
// Where layer-cache entries are kept: a registry repository (--cache-repo
// host/repo) or an OCI image layout on a local volume (--cache-repo
// oci:/path, as kaniko's maintained fork accepts: a CI cache directory needs
// no registry). An entry is a small image tagged with the step's cache key
// (cache_image.h). A store only moves bytes and checks digests; LayerCache
// decides what a hit is worth.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cache/cache_image.h"
#include "image/descriptor.h"
#include "registry/client.h"
#include "registry/image_state.h"

namespace kiln::cache {

struct StoredManifest {
  std::string bytes;
  std::string media_type;
};

class EntryStore {
 public:
  virtual ~EntryStore() = default;
  // "registry.example.com/team/cache" or "oci:/cache/layers", for messages.
  virtual std::string name() const = 0;
  // The manifest tagged `key`; nullopt when there is none. Throws when the
  // store cannot be read at all (the cache is then turned off).
  virtual std::optional<StoredManifest> manifest(const std::string& key) = 0;
  // Whether an entry is tagged `key`, without reading it (--dryrun).
  virtual bool has(const std::string& key) = 0;
  // A small blob (the entry's config), digest-checked.
  virtual std::string blob_bytes(const std::string& key, const image::Descriptor& d) = 0;
  // Copies the layer blob to dest, digest-checked; returns its diff_id,
  // computed from the bytes copied.
  virtual std::string layer_to_file(const image::Descriptor& d, const std::filesystem::path& dest) = 0;
  // Stores the entry: blobs first, the tag last, so an entry is never
  // visible before its layer is.
  virtual void put(const std::string& key, const CacheImage& img, const std::optional<registry::Layer>& layer) = 0;
  // Where a hit's layer can be mounted from when the image is pushed;
  // nullopt when the layer must be uploaded from its file.
  virtual std::optional<registry::Reference> mount_source() const = 0;
};

// The local directory of an "oci:/path" --cache-repo (the options check that
// the path is absolute); nullopt for a registry repository.
std::optional<std::filesystem::path> oci_cache_dir(std::string_view cache_repo_flag);

// client must outlive the store.
std::unique_ptr<EntryStore> registry_entry_store(registry::Client& client, registry::Reference repo);
// Creates the layout when absent. Several builds may share one directory
// (a CI cache volume): tagging is serialised by a lock file beside index.json.
std::unique_ptr<EntryStore> oci_entry_store(const std::filesystem::path& dir);

}  // namespace kiln::cache
