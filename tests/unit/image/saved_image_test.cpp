#include "image/saved_image.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/error.h"
#include "digest/digest.h"
#include "image/docker_archive.h"
#include "image/oci_layout.h"
#include "image/tar_index.h"
#include "image_test_util.h"

namespace kiln::image {
namespace {

using namespace testing;

std::string read_all(const StoredBlob& b, const std::string& origin) {
  BlobReader r(b, origin);
  std::string out;
  char buf[7];  // odd size: many short reads
  while (std::size_t n = r.read(buf, sizeof buf)) out.append(buf, n);
  return out;
}

// Flips one byte at `offset` of `file`.
void flip_byte(const fs::path& file, std::uint64_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x55));
}

TEST(TarIndex, FindsMembersWrittenBySystemTar) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "src/dir");
  std::ofstream(tmp.path() / "src/a.txt") << "alpha";
  std::string long_name(120, 'x');
  std::ofstream(tmp.path() / "src/dir" / long_name) << "long one";
  for (const char* fmt : {"ustar", "gnu", "pax"}) {
    if (std::string(fmt) == "ustar") continue;  // ustar cannot hold the 124-byte name
    fs::path tar = tmp.path() / (std::string(fmt) + ".tar");
    auto r = run("tar -C " + (tmp.path() / "src").string() + " --format=" + fmt + " -cf " + tar.string() + " .");
    ASSERT_EQ(r.status, 0) << r.output;
    auto idx = index_tar(tar);
    ASSERT_TRUE(idx.count("a.txt")) << fmt;
    ASSERT_TRUE(idx.count("dir/" + long_name)) << fmt;
    std::string all = slurp(tar);
    EXPECT_EQ(all.substr(idx["a.txt"].offset, idx["a.txt"].size), "alpha") << fmt;
    auto m = idx["dir/" + long_name];
    EXPECT_EQ(all.substr(m.offset, m.size), "long one") << fmt;
    EXPECT_FALSE(idx.count("dir")) << "directories are not blobs";
  }
}

TEST(TarIndex, RefusesCompressedAndTruncatedInput) {
  TempDir tmp;
  std::ofstream(tmp.path() / "f") << "data";
  fs::path gz = tmp.path() / "x.tar.gz";
  ASSERT_EQ(run("tar -C " + tmp.path().string() + " -czf " + gz.string() + " f").status, 0);
  EXPECT_THROW(index_tar(gz), Error);
  fs::path tar = tmp.path() / "x.tar";
  ASSERT_EQ(run("tar -C " + tmp.path().string() + " -cf " + tar.string() + " f").status, 0);
  fs::resize_file(tar, 700);  // header plus part of the data block
  EXPECT_THROW(index_tar(tar), Error);
}

TEST(TarIndex, PaxRecords) {
  TarHeader h;
  apply_pax_records("23 path=some/long/name\n13 size=1234\n", h);
  EXPECT_EQ(h.name, "some/long/name");
  EXPECT_EQ(h.size, 1234u);
  EXPECT_THROW(apply_pax_records("99 path=x\n", h), Error);
  EXPECT_THROW(apply_pax_records("garbage", h), Error);
}

class SavedDockerArchive : public ::testing::TestWithParam<ManifestFormat> {};

TEST_P(SavedDockerArchive, RoundTripsWhatTheBuildWrites) {
  TempDir tmp;
  auto img = make_image(tmp.path(), "saved\n", GetParam());
  fs::path tar = tmp.path() / "image.tar";
  write_docker_archive(tar, img.blobs.config_json, img.blobs.layers, {"reg/app:1"});
  auto saved = read_docker_archive(tar, std::nullopt);
  ASSERT_EQ(saved.layers.size(), 1u);
  EXPECT_EQ(saved.layers[0].descriptor.digest, img.blobs.layers[0].descriptor.digest);
  EXPECT_EQ(saved.layers[0].descriptor.media_type, std::string(media::kDockerLayerGzip));
  EXPECT_EQ(saved.manifest_media_type, std::string(media::kDockerManifest));
  EXPECT_EQ(read_all(saved.config, saved.origin), img.blobs.config_json);
  EXPECT_EQ(read_all(saved.layers[0], saved.origin), slurp(img.blobs.layers[0].file));
  auto m = parse_manifest(saved.manifest_json, saved.manifest_media_type);
  EXPECT_EQ(m.config.digest, digest::sha256_of(img.blobs.config_json).str());
  EXPECT_NO_THROW(verify_blobs(saved));

  auto oci = read_docker_archive(tar, ManifestFormat::Oci);
  EXPECT_EQ(oci.manifest_media_type, std::string(media::kOciManifest));
  EXPECT_EQ(oci.layers[0].descriptor.media_type, std::string(media::kOciLayerGzip));
}

TEST_P(SavedDockerArchive, ADamagedLayerIsNamed) {
  TempDir tmp;
  auto img = make_image(tmp.path(), "damaged\n", GetParam());
  fs::path tar = tmp.path() / "image.tar";
  write_docker_archive(tar, img.blobs.config_json, img.blobs.layers, {});
  auto saved = read_docker_archive(tar, std::nullopt);
  flip_byte(tar, saved.layers[0].offset + 20);
  try {
    verify_blobs(saved);
    FAIL() << "expected a digest mismatch";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(saved.layers[0].descriptor.digest), std::string::npos) << m;
    EXPECT_NE(m.find("does not match"), std::string::npos) << m;
  }
  EXPECT_THROW(read_all(saved.layers[0], saved.origin), Error);
}

TEST_P(SavedDockerArchive, ADamagedConfigIsRefusedWhenOpened) {
  TempDir tmp;
  auto img = make_image(tmp.path(), "cfg\n", GetParam());
  fs::path tar = tmp.path() / "image.tar";
  write_docker_archive(tar, img.blobs.config_json, img.blobs.layers, {});
  auto idx = index_tar(tar);
  std::string name = digest::sha256_hex(img.blobs.config_json) + ".json";
  flip_byte(tar, idx.at(name).offset + 3);
  EXPECT_THROW(read_docker_archive(tar, std::nullopt), Error);
}

INSTANTIATE_TEST_SUITE_P(Formats, SavedDockerArchive, ::testing::Values(ManifestFormat::Oci, ManifestFormat::Docker));

TEST(SavedOciLayout, PushesTheManifestBytesUnchanged) {
  TempDir tmp;
  auto img = make_image(tmp.path(), "layout\n", ManifestFormat::Oci);
  fs::path dir = tmp.path() / "layout";
  auto desc = write_oci_image(dir, img.blobs, std::string("v1"));
  auto saved = read_oci_layout(dir, std::nullopt);
  EXPECT_EQ(saved.manifest_json, img.blobs.manifest_json);
  EXPECT_EQ(digest::sha256_of(saved.manifest_json).str(), desc.digest);
  EXPECT_NO_THROW(verify_blobs(saved));
  EXPECT_NO_THROW(read_oci_layout(dir, std::string("v1")));
  EXPECT_THROW(read_oci_layout(dir, std::string("v2")), Error);
  auto via_arg = open_saved_image(dir.string() + ":v1", std::nullopt);
  EXPECT_EQ(via_arg.manifest_json, img.blobs.manifest_json);
}

TEST(SavedOciLayout, TwoImagesNeedATag) {
  TempDir tmp;
  fs::path dir = tmp.path() / "layout";
  write_oci_image(dir, make_image(tmp.path(), "one\n", ManifestFormat::Oci).blobs, std::string("one"));
  write_oci_image(dir, make_image(tmp.path(), "two\n", ManifestFormat::Oci).blobs, std::string("two"));
  try {
    read_oci_layout(dir, std::nullopt);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("one, two"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(read_oci_layout(dir, std::string("two")));
}

TEST(SavedOciLayout, ADamagedBlobIsNamed) {
  TempDir tmp;
  auto img = make_image(tmp.path(), "bad\n", ManifestFormat::Oci);
  fs::path dir = tmp.path() / "layout";
  write_oci_image(dir, img.blobs, std::string("v1"));
  auto saved = read_oci_layout(dir, std::nullopt);
  flip_byte(saved.layers[0].file, 10);
  EXPECT_THROW(verify_blobs(saved), Error);
  fs::remove(saved.config.file);
  EXPECT_THROW(read_oci_layout(dir, std::nullopt), Error);
}

}  // namespace
}  // namespace kiln::image
