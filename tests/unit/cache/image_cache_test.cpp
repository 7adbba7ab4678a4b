// The base-image cache on disk: store and look up by reference and by
// digest, the TTL rule, damaged entries ignored, concurrent writers.
#include "cache/image_cache.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "base/error.h"
#include "digest/digest.h"
#include "image/config.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "support/temp_dir.h"

namespace fsys = std::filesystem;
using namespace kiln;
using namespace kiln::cache;

namespace {

using kiln::testing::TempDir;

// A small image made of strings: two layers, its config and manifest.
struct FakeImage {
  std::vector<std::string> layer_bytes;
  std::string config;
  std::string manifest;
  std::string digest;
  image::Manifest m;

  explicit FakeImage(const std::string& seed)
      : FakeImage(std::vector<std::string>{"layer-one-" + seed, "layer-two-" + seed + "-longer"}) {}
  explicit FakeImage(std::vector<std::string> blobs) : layer_bytes(std::move(blobs)) {
    image::Config c;
    std::vector<image::Descriptor> layers;
    for (const auto& b : layer_bytes) {
      image::Descriptor d;
      d.media_type = std::string(image::media::kOciLayerGzip);
      d.digest = digest::sha256_of(b).str();
      d.size = static_cast<std::int64_t>(b.size());
      layers.push_back(d);
      c.add_diff_id(digest::sha256_of("diff-" + b).str());
    }
    config = c.dump();
    image::Descriptor cd;
    cd.digest = digest::sha256_of(config).str();
    cd.size = static_cast<std::int64_t>(config.size());
    m = image::make_manifest(image::ManifestFormat::Oci, cd, layers);
    manifest = image::to_json(m);
    digest = digest::sha256_of(manifest).str();
  }

  // Stores everything and records ref -> digest at `now`.
  void store(const ImageCache& cache, const registry::Reference& ref, std::int64_t now) const {
    auto put = [&](const std::string& bytes) {
      image::Descriptor d;
      d.digest = digest::sha256_of(bytes).str();
      d.size = static_cast<std::int64_t>(bytes.size());
      cache.write_blob(d, [&bytes](const Sink& s) { s(bytes.data(), bytes.size()); });
    };
    put(manifest);
    put(config);
    for (const auto& b : layer_bytes) put(b);
    cache.commit(ref, {}, digest, std::string(image::media::kOciManifest), ref, now);
  }
};

std::string slurp(const fsys::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void overwrite(const fsys::path& p, const std::string& bytes) {
  fsys::permissions(p, fsys::perms::owner_write, fsys::perm_options::add);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

class ImageCacheTest : public ::testing::Test {
 protected:
  TempDir dir;
  std::FILE* logfile = std::tmpfile();
  log::Logger log{log::Logger::Options{log::Level::Debug, log::Format::Text, false, logfile}};
  ImageCache cache{dir.path(), log};
  registry::Reference ref = registry::parse_reference("reg.local:5000/team/base:1.0");
  static constexpr std::int64_t kNow = 1'700'000'000;
  static constexpr long long kTtl = 3600;

  ~ImageCacheTest() override { std::fclose(logfile); }
  std::string logged() {
    std::fflush(logfile);
    std::rewind(logfile);
    std::string s;
    char buf[4096];
    while (auto n = std::fread(buf, 1, sizeof buf, logfile)) s.append(buf, n);
    return s;
  }
};

}  // namespace

TEST_F(ImageCacheTest, MissWhenEmpty) {
  EXPECT_FALSE(cache.lookup(ref, {}, kTtl, kNow));
  EXPECT_FALSE(cache.find_digest(FakeImage("a").digest));
  EXPECT_FALSE(fsys::exists(dir.path() / "base-images"));  // reading creates nothing
}

TEST_F(ImageCacheTest, StoredImageIsFoundByReferenceAndByDigest) {
  FakeImage img("a");
  img.store(cache, ref, kNow);

  auto by_ref = cache.lookup(ref, {}, kTtl, kNow + 10);
  ASSERT_TRUE(by_ref);
  EXPECT_EQ(by_ref->manifest_digest, img.digest);
  EXPECT_EQ(by_ref->manifest_bytes, img.manifest);
  EXPECT_EQ(by_ref->config_bytes, img.config);
  EXPECT_EQ(by_ref->manifest.layers.size(), 2u);
  EXPECT_EQ(by_ref->source.repo_str(), "reg.local:5000/team/base");
  EXPECT_EQ(by_ref->stored, kNow);

  auto pinned = registry::with_digest(registry::parse_reference("reg.local:5000/team/base"), img.digest);
  pinned.tag.clear();
  auto by_digest = cache.lookup(pinned, {}, kTtl, kNow);
  ASSERT_TRUE(by_digest);
  EXPECT_EQ(by_digest->manifest_digest, img.digest);

  // Another tag of the same repository was never stored.
  EXPECT_FALSE(cache.lookup(registry::parse_reference("reg.local:5000/team/base:2.0"), {}, kTtl, kNow));
  // Nor was this reference for another platform (a tag may be an index).
  image::Platform arm;
  arm.architecture = "arm64";
  EXPECT_FALSE(cache.lookup(ref, arm, kTtl, kNow));
}

TEST_F(ImageCacheTest, TagOlderThanTtlIsNotUsedButDigestIs) {
  FakeImage img("a");
  img.store(cache, ref, kNow);
  EXPECT_TRUE(cache.lookup(ref, {}, kTtl, kNow + kTtl));
  EXPECT_FALSE(cache.lookup(ref, {}, kTtl, kNow + kTtl + 1));
  // Content named by its digest never goes stale.
  auto pinned = registry::parse_reference("reg.local:5000/team/base@" + img.digest);
  EXPECT_TRUE(cache.lookup(pinned, {}, kTtl, kNow + 100 * kTtl));
}

TEST_F(ImageCacheTest, ReferenceMovesToNewDigest) {
  FakeImage a("a"), b("b");
  a.store(cache, ref, kNow);
  b.store(cache, ref, kNow + 5);
  auto hit = cache.lookup(ref, {}, kTtl, kNow + 6);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->manifest_digest, b.digest);
  EXPECT_TRUE(cache.find_digest(a.digest));  // the older image stays usable by digest
}

TEST_F(ImageCacheTest, CopyLayerVerifiesContent) {
  FakeImage img("a");
  img.store(cache, ref, kNow);
  auto hit = cache.lookup(ref, {}, kTtl, kNow);
  ASSERT_TRUE(hit);
  auto dest = dir.path() / "out";
  cache.copy_layer(hit->manifest.layers[0], dest);
  EXPECT_EQ(slurp(dest), img.layer_bytes[0]);

  // Same size, different bytes: only the digest check can tell.
  auto blob = cache.blob_path(hit->manifest.layers[1].digest);
  std::string bad = img.layer_bytes[1];
  bad[0] ^= 1;
  overwrite(blob, bad);
  auto dest2 = dir.path() / "out2";
  try {
    cache.copy_layer(hit->manifest.layers[1], dest2);
    FAIL() << "a damaged layer was copied";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(hit->manifest.layers[1].digest), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fsys::exists(dest2));
}

TEST_F(ImageCacheTest, TruncatedLayerMakesEntryAMissWithWarning) {
  FakeImage img("a");
  img.store(cache, ref, kNow);
  auto layer = img.m.layers[1].digest;
  overwrite(cache.blob_path(layer), "short");
  EXPECT_FALSE(cache.lookup(ref, {}, kTtl, kNow));
  auto text = logged();
  EXPECT_NE(text.find("Ignoring cached image " + img.digest), std::string::npos) << text;
  EXPECT_NE(text.find(layer), std::string::npos) << text;
}

TEST_F(ImageCacheTest, DamagedManifestOrConfigIsIgnored) {
  FakeImage img("a");
  img.store(cache, ref, kNow);
  overwrite(cache.blob_path(img.digest), img.manifest + " ");
  EXPECT_FALSE(cache.find_digest(img.digest));
  EXPECT_NE(logged().find("manifest blob does not match"), std::string::npos);

  FakeImage other("b");
  auto ref2 = registry::parse_reference("reg.local:5000/team/other:1");
  other.store(cache, ref2, kNow);
  std::string cfg = other.config;
  cfg[cfg.size() - 2] = cfg[cfg.size() - 2] == ' ' ? '\t' : ' ';
  overwrite(cache.blob_path(other.m.config.digest), cfg);
  EXPECT_FALSE(cache.lookup(ref2, {}, kTtl, kNow));
  EXPECT_NE(logged().find("config blob " + other.m.config.digest), std::string::npos);
}

TEST_F(ImageCacheTest, WriteBlobRejectsWrongBytesAndLeavesNothing) {
  image::Descriptor d;
  d.digest = digest::sha256_of("expected").str();
  d.size = 8;
  EXPECT_THROW(cache.write_blob(d, [](const Sink& s) { s("tampered", 8); }), IoError);
  EXPECT_FALSE(fsys::exists(cache.blob_path(d.digest)));
  EXPECT_FALSE(cache.has_valid_blob(d));
  // Nothing but the (empty) directory is left: no temporary files.
  EXPECT_TRUE(fsys::is_empty(cache.blob_path(d.digest).parent_path()));
  cache.write_blob(d, [](const Sink& s) { s("expected", 8); });
  EXPECT_TRUE(cache.has_valid_blob(d));
}

TEST_F(ImageCacheTest, CommitRefusesIncompleteImage) {
  FakeImage img("a");
  image::Descriptor md;
  md.digest = img.digest;
  md.size = static_cast<std::int64_t>(img.manifest.size());
  cache.write_blob(md, [&](const Sink& s) { s(img.manifest.data(), img.manifest.size()); });
  EXPECT_THROW(cache.commit(ref, {}, img.digest, std::string(image::media::kOciManifest), ref, kNow), IoError);
  EXPECT_FALSE(cache.lookup(ref, {}, kTtl, kNow));
}

// Two threads storing the same image and the same blobs at once, many times:
// every lookup afterwards finds a complete, correct entry.
TEST_F(ImageCacheTest, ConcurrentThreadsStoringOneImage) {
  FakeImage img("shared");
  auto work = [&] {
    ImageCache c(dir.path(), log);
    for (int i = 0; i < 50; ++i) {
      auto lock = c.lock(ref, {});
      img.store(c, ref, kNow + i);
    }
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  auto hit = cache.lookup(ref, {}, kTtl, kNow + 60);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->manifest_digest, img.digest);
  for (const auto& l : hit->manifest.layers) EXPECT_NO_THROW(cache.copy_layer(l, dir.path() / "copy"));
}

// Two processes (as two warmers on one volume) storing different images
// that share a layer, while a third reads: no reader ever sees a broken entry.
TEST_F(ImageCacheTest, ConcurrentProcesses) {
  FakeImage a("a");
  FakeImage b(std::vector<std::string>{a.layer_bytes[0], "layer-of-b-only"});  // a shared base layer
  auto ref_b = registry::parse_reference("reg.local:5000/team/other:1");
  std::vector<pid_t> kids;
  for (int k = 0; k < 2; ++k) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int rc = 0;
      try {
        ImageCache c(dir.path(), log);
        for (int i = 0; i < 30; ++i) {
          const auto& img = k == 0 ? a : b;
          const auto& r = k == 0 ? ref : ref_b;
          auto lock = c.lock(r, {});
          img.store(c, r, kNow + i);
        }
      } catch (...) {
        rc = 1;
      }
      ::_exit(rc);
    }
    kids.push_back(pid);
  }
  int broken = 0;
  for (int i = 0; i < 200; ++i) {
    // A lookup is either a miss (not yet committed) or complete.
    if (auto hit = cache.find_digest(a.digest))
      if (hit->config_bytes != a.config) ++broken;
  }
  for (pid_t p : kids) {
    int status = 0;
    ::waitpid(p, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(broken, 0);
  EXPECT_EQ(logged().find("Ignoring"), std::string::npos) << logged();
  ASSERT_TRUE(cache.lookup(ref, {}, kTtl, kNow + 40));
  ASSERT_TRUE(cache.lookup(ref_b, {}, kTtl, kNow + 40));
  EXPECT_EQ(cache.lookup(ref_b, {}, kTtl, kNow + 40)->manifest_digest, b.digest);
}
