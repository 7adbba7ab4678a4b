// The early uploader against a real docker-registry: layers offered during
// the build end up in every destination, each once; what cannot be uploaded
// is counted and left to the final push, never thrown; stopping abandons a
// transfer at once (engine/early_upload.h).
#include "engine/early_upload.h"

#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <fstream>
#include <iterator>
#include <thread>

#include "digest/sha256.h"
#include "registry/registry_server.h"
#include "support/silent_server.h"
#include "support/temp_dir.h"

using namespace kiln;
using kiln::testing::RegistryServer;
using kiln::testing::TempDir;

namespace {

registry::Options plain_options() {
  registry::Options o;
  o.insecure_all = true;
  o.ca_file.clear();
  o.push_retry = 5;  // the uploader must not use them: a failure is left to the final push
  o.retry_initial_delay = std::chrono::milliseconds(2000);
  return o;
}

// A layer file of `size` bytes written by the "build".
registry::Layer layer_file(const TempDir& dir, const std::string& name, std::size_t size, char seed) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>(seed + (i * 131) % 251);
  registry::Layer l;
  l.file = dir.path() / name;
  std::ofstream(l.file, std::ios::binary) << bytes;
  l.descriptor.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  l.descriptor.digest = "sha256:" + digest::sha256_hex(bytes);
  l.descriptor.size = static_cast<std::int64_t>(size);
  return l;
}

registry::Client checker(log::Logger& log) { return registry::Client(plain_options(), registry::Keychain{}, log); }

// What each test starts from: a registry, a directory for layer files, a log.
struct Scene {
  RegistryServer reg{{}};
  TempDir dir{"kiln-early"};
  log::Logger log;
  std::vector<registry::Reference> dests(std::initializer_list<const char*> repos) const {
    std::vector<registry::Reference> out;
    for (const char* r : repos) out.push_back(registry::parse_reference(reg.host() + "/" + r));
    return out;
  }
};

}  // namespace

TEST(EarlyUpload, PutsEveryOfferedLayerInEveryDestinationOnce) {
  Scene su;
  auto& [reg, dir, log] = su;
  auto dests = su.dests({"app:v1", "other/app:v2"});
  registry::Layer a = layer_file(dir, "a.layer", 300000, 'a');
  registry::Layer b = layer_file(dir, "b.layer", 1000, 'b');
  engine::EarlyUploadStats stats;
  {
    engine::EarlyUpload up(plain_options(), registry::Keychain{}, dests, log);
    up.offer(a);
    up.offer(b);
    up.offer(a);  // the same digest again: not sent twice
    stats = up.finish();
    up.offer(layer_file(dir, "late.layer", 10, 'c'));  // after finish: ignored
  }
  EXPECT_EQ(stats.blobs, 4);
  EXPECT_EQ(stats.failed, 0);
  EXPECT_GT(stats.seconds, 0.0);
  auto c = checker(log);
  for (const auto& d : dests) {
    EXPECT_TRUE(c.blob_exists(d, a.descriptor.digest)) << d.str();
    EXPECT_TRUE(c.blob_exists(d, b.descriptor.digest)) << d.str();
  }
  // No tag was written: the manifests are the final push's.
  EXPECT_FALSE(c.head_manifest(dests[0]));
}

TEST(EarlyUpload, ALayerThatCannotBeSentIsLeftToThePushNotThrown) {
  Scene su;
  auto& [reg, dir, log] = su;
  auto dests = su.dests({"app:v1"});
  registry::Layer gone = layer_file(dir, "gone.layer", 5000, 'g');
  std::filesystem::remove(gone.file);
  registry::Layer wrong = layer_file(dir, "wrong.layer", 5000, 'w');
  wrong.descriptor.digest = "sha256:" + std::string(64, '0');  // the registry refuses the digest
  registry::Layer good = layer_file(dir, "good.layer", 5000, 'o');
  auto t = std::chrono::steady_clock::now();
  engine::EarlyUpload up(plain_options(), registry::Keychain{}, dests, log);
  up.offer(gone);
  up.offer(wrong);
  up.offer(good);
  auto stats = up.finish();
  // No retry waited: the Options' 5 retries of 2 s are the final push's.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(), 1.5);
  EXPECT_EQ(stats.failed, 1);  // the wrong digest; the missing file is not even tried
  EXPECT_EQ(stats.blobs, 1);
  auto c = checker(log);
  EXPECT_TRUE(c.blob_exists(dests[0], good.descriptor.digest));
  EXPECT_FALSE(c.blob_exists(dests[0], wrong.descriptor.digest));
}

// A "registry" that accepts connections and never answers: an upload to it
// hangs until the uploader is stopped.
TEST(EarlyUpload, StoppingAbandonsATransferAtOnce) {
  kiln::testing::SilentServer silent;
  const std::string host = silent.host();

  TempDir dir("kiln-early");
  log::Logger log;
  auto up = std::make_unique<engine::EarlyUpload>(
      plain_options(), registry::Keychain{}, std::vector<registry::Reference>{registry::parse_reference(host + "/app:v1")},
      log);
  up->offer(layer_file(dir, "a.layer", 1000, 'a'));
  up->offer(layer_file(dir, "b.layer", 1000, 'b'));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the first request is waiting for an answer
  auto t = std::chrono::steady_clock::now();
  up.reset();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(), 2.0);
}

// A layer offered as it is written: its bytes go up to the first destination
// while the file grows, and that upload is closed with the digest once it is
// complete; the other destination gets the layer's ordinary upload.
TEST(EarlyUpload, ALayerBeingWrittenIsStreamedAsItGrows) {
  Scene su;
  auto& [reg, dir, log] = su;
  auto dests = su.dests({"app:v1", "two:v1"});
  // 12 MiB and a bit, written in pieces with pauses, as a layer writer does.
  const std::size_t size = (12 << 20) + 12345;
  registry::Layer full = layer_file(dir, "whole.bin", size, 'z');
  std::string bytes;
  {
    std::ifstream f(full.file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  const std::filesystem::path out = dir.path() / "growing.layer";
  engine::EarlyUpload up(plain_options(), registry::Keychain{}, dests, log);
  up.writing(out);
  {
    std::ofstream w(out, std::ios::binary);
    for (std::size_t at = 0; at < size; at += 1 << 20) {
      w.write(bytes.data() + at, static_cast<std::streamsize>(std::min<std::size_t>(1 << 20, size - at)));
      w.flush();
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
  }
  // Before the layer is complete (offered), the registry holds most of its
  // bytes in an upload session of the first repository.
  const auto v2 = reg.blob_path(full.descriptor.digest).parent_path().parent_path().parent_path().parent_path()
                      .parent_path();
  const std::int64_t most = static_cast<std::int64_t>(size) / 2;
  std::int64_t got = 0;
  for (int i = 0; i < 100 && got < most; ++i) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(v2 / "repositories/app/_uploads", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      if (it->path().filename() == "data") got = std::max<std::int64_t>(got, static_cast<std::int64_t>(it->file_size()));
    if (got < most) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_GE(got, most);
  registry::Layer done = full;
  done.file = out;
  up.offer(done);
  auto stats = up.finish();
  EXPECT_EQ(stats.failed, 0);
  EXPECT_EQ(stats.blobs, 2);  // the ordinary upload found it in both
  auto c = checker(log);
  for (const auto& d : dests) EXPECT_TRUE(c.blob_exists(d, done.descriptor.digest)) << d.str();
}

// A layer written but never offered (not kept in the image) is abandoned
// when the next one starts; the next one still goes up.
TEST(EarlyUpload, ALayerNeverOfferedIsAbandonedForTheNext) {
  Scene su;
  auto& [reg, dir, log] = su;
  auto dests = su.dests({"app:v1"});
  registry::Layer dropped = layer_file(dir, "dropped.layer", 5000, 'd');
  registry::Layer kept = layer_file(dir, "kept.layer", 7000, 'k');
  engine::EarlyUpload up(plain_options(), registry::Keychain{}, dests, log);
  up.writing(dropped.file);
  up.writing(kept.file);
  up.offer(kept);
  auto t = std::chrono::steady_clock::now();
  auto stats = up.finish();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count(), 2.0);
  EXPECT_EQ(stats.blobs, 1);
  auto c = checker(log);
  EXPECT_TRUE(c.blob_exists(dests[0], kept.descriptor.digest));
  EXPECT_FALSE(c.blob_exists(dests[0], dropped.descriptor.digest));
}
