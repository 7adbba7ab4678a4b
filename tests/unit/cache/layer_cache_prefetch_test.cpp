// LayerCache::prefetch over a real OCI-layout store, counted by a store that
// passes every call through: each key is read once whether the build asks
// for it ahead or not, the lookups overlap, and layers after a miss are not
// downloaded.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "../support/temp_dir.h"
#include "layer_file.h"
#include "cache/layer_cache.h"

namespace kiln::cache {
namespace {

namespace fsys = std::filesystem;

using kiln::cache::testing::layer_file;

// Counts what reaches the real store, and how many manifest reads overlap
// (each one made slow enough to overlap when sent together).
class CountingStore : public EntryStore {
 public:
  explicit CountingStore(std::unique_ptr<EntryStore> real) : real_(std::move(real)) {}
  std::string name() const override { return real_->name(); }
  std::optional<StoredManifest> manifest(const std::string& key) override {
    int n = ++in_flight;
    int p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    ++manifests;
    --in_flight;
    return real_->manifest(key);
  }
  bool has(const std::string& key) override { return real_->has(key); }
  std::string blob_bytes(const std::string& key, const image::Descriptor& d) override {
    return real_->blob_bytes(key, d);
  }
  std::string layer_to_file(const image::Descriptor& d, const fsys::path& dest) override {
    ++layers;
    return real_->layer_to_file(d, dest);
  }
  void put(const std::string& key, const CacheImage& img, const std::optional<registry::Layer>& l) override {
    real_->put(key, img, l);
  }
  std::optional<registry::Reference> mount_source() const override { return std::nullopt; }

  std::atomic<int> manifests{0}, layers{0}, in_flight{0}, peak{0};

 private:
  std::unique_ptr<EntryStore> real_;
};

struct Fixture {
  kiln::testing::TempDir tmp;
  log::Logger log;
  CountingStore* store = nullptr;
  std::unique_ptr<LayerCache> cache;

  // Entries: k1 (a layer), k2 (no layer), k4 (a layer), L (a layer); k3 absent.
  Fixture() {
    auto real = oci_entry_store(tmp.path() / "cache");
    image::Platform platform;
    const std::string created = "2026-12-05T00:00:00Z";
    for (const std::string key : {"k1", "k4", "L"}) {
      auto l = layer_file(tmp.path(), "layer of " + key);
      real->put(key, make_cache_image(key, CachedLayer{l.descriptor, l.diff_id}, platform, created), l);
    }
    real->put("k2", make_cache_image("k2", std::nullopt, platform, created), std::nullopt);
    auto counting = std::make_unique<CountingStore>(std::move(real));
    store = counting.get();
    LayerCacheOptions o;
    o.blob_dir = tmp.path() / "blobs";
    fsys::create_directories(o.blob_dir);
    o.now = *parse_rfc3339(created) + 60;
    o.ttl_seconds = 3600;
    cache = std::make_unique<LayerCache>(std::move(counting), o, log);
  }
};

TEST(LayerCachePrefetch, AnswersEachKeyFromOneRoundOfLookups) {
  Fixture f;
  f.cache->prefetch({{"k1"}, {"k2"}, {"k3"}, {"k4"}, {"L", true}});
  auto k1 = f.cache->lookup("k1");
  ASSERT_TRUE(k1);
  ASSERT_TRUE(k1->layer);
  EXPECT_TRUE(fsys::exists(k1->layer->file));
  auto k2 = f.cache->lookup("k2");
  ASSERT_TRUE(k2);
  EXPECT_FALSE(k2->layer);
  EXPECT_FALSE(f.cache->lookup("k3"));
  auto link = f.cache->lookup("L");  // independent: used after the miss
  ASSERT_TRUE(link && link->layer);
  EXPECT_EQ(f.store->manifests.load(), 5);  // once per key: the lookups took the prefetched answers
  EXPECT_GE(f.store->peak.load(), 2);       // they were sent together
  EXPECT_LE(f.store->peak.load(), static_cast<int>(LayerCache::kLookaheadJobs));
  // k1 and L downloaded; k4 comes after the miss at k3, so it was not.
  EXPECT_EQ(f.store->layers.load(), 2);
  // Asked for anyway, k4 is looked up then.
  auto k4 = f.cache->lookup("k4");
  ASSERT_TRUE(k4 && k4->layer);
  EXPECT_EQ(f.store->manifests.load(), 6);
  EXPECT_EQ(f.store->layers.load(), 3);
}

TEST(LayerCachePrefetch, KeysNotPrefetchedAreLookedUpAsBefore) {
  Fixture f;
  f.cache->prefetch({{"k1"}});
  f.cache->prefetch({{"k1"}});  // already on its way: not asked twice
  ASSERT_TRUE(f.cache->lookup("k1"));
  ASSERT_TRUE(f.cache->lookup("k2"));
  EXPECT_EQ(f.store->manifests.load(), 2);
}

}  // namespace
}  // namespace kiln::cache
