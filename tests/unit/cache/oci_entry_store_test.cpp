// The OCI-layout layer-cache store: entries written and read back, several
// keys in one index, a damaged blob refused, and the oci: flag form.
#include <gtest/gtest.h>

#include <fstream>

#include "../support/temp_dir.h"
#include "layer_file.h"
#include "base/error.h"
#include "cache/entry_store.h"

namespace kiln::cache {
namespace {

namespace fsys = std::filesystem;

using kiln::cache::testing::layer_file;

CacheImage entry_for(const std::string& key, const std::optional<registry::Layer>& l) {
  std::optional<CachedLayer> cl;
  if (l) cl = CachedLayer{l->descriptor, l->diff_id};
  return make_cache_image(key, cl, image::Platform{"linux", "amd64", ""}, "2026-12-05T00:00:00Z");
}

TEST(OciEntryStore, StoresEntriesAndReadsThemBack) {
  kiln::testing::TempDir tmp;
  auto store = oci_entry_store(tmp.path() / "cache");
  EXPECT_EQ(store->name(), "oci:" + (tmp.path() / "cache").string());
  EXPECT_FALSE(store->has("k1"));
  EXPECT_FALSE(store->manifest("k1"));

  auto l = layer_file(tmp.path(), std::string(1000, 'x'));
  auto img1 = entry_for("k1", l);
  store->put("k1", img1, l);
  store->put("k2", entry_for("k2", std::nullopt), std::nullopt);

  // A second store on the same directory (another job) sees both entries.
  auto other = oci_entry_store(tmp.path() / "cache");
  ASSERT_TRUE(other->has("k1"));
  ASSERT_TRUE(other->has("k2"));
  auto m = other->manifest("k1");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->bytes, img1.manifest_json);
  auto cfg = cache_config_of("k1", m->bytes, m->media_type);
  ASSERT_TRUE(cfg);
  EXPECT_EQ(other->blob_bytes("k1", *cfg), img1.config_json);
  EXPECT_EQ(other->layer_to_file(l.descriptor, tmp.path() / "hit"), l.diff_id);
  EXPECT_FALSE(other->mount_source());
}

TEST(OciEntryStore, ADamagedBlobIsRefusedAndNotCopied) {
  kiln::testing::TempDir tmp;
  auto store = oci_entry_store(tmp.path() / "cache");
  auto l = layer_file(tmp.path(), "layer bytes");
  store->put("k", entry_for("k", l), l);
  fsys::path blob = tmp.path() / "cache/blobs/sha256" / l.descriptor.digest.substr(7);
  std::ofstream(blob, std::ios::binary | std::ios::trunc) << "tampered";
  EXPECT_THROW(store->layer_to_file(l.descriptor, tmp.path() / "hit"), Error);
  EXPECT_FALSE(fsys::exists(tmp.path() / "hit"));
}

TEST(OciCacheDir, OnlyTheOciPrefixNamesALocalCache) {
  EXPECT_EQ(oci_cache_dir("oci:/cache/layers/"), fsys::path("/cache/layers/"));
  EXPECT_FALSE(oci_cache_dir("registry.example.com/app/cache"));
  EXPECT_FALSE(oci_cache_dir("localhost:5000/oci"));
}

}  // namespace
}  // namespace kiln::cache
