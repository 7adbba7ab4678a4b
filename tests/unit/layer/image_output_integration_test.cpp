// The writer's layers as other tools see them: a layer made by
// kiln::layer::Writer, put into an OCI layout and a docker-archive by
// kiln::image, read back by umoci and skopeo.
#include <gtest/gtest.h>
#include <stdio.h>

#include <array>
#include <nlohmann/json.hpp>

#include "digest/sha256.h"
#include "image/config.h"
#include "image/docker_archive.h"
#include "image/manifest.h"
#include "image/oci_layout.h"
#include "layer/writer.h"
#include "layer_test_util.h"

namespace kiln::layer {
namespace {

using namespace testing;

std::pair<int, std::string> sh(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  return {::pclose(p), out};
}

TEST(ImageOutput, WriterLayerUnpacksWithUmociAndSkopeo) {
  TempDir tmp;
  fs::path src = tmp.path() / "src";
  write_file(src / "app/run.sh", "#!/bin/sh\necho hi\n", 0755);
  fs::create_symlink("run.sh", src / "app/start");
  write_file(src / "etc/conf", "x=1\n", 0600);

  Writer w(tmp.path() / "layer.tar.gz", Compression::Gzip, -1, 0);
  for (const char* p : {"app", "app/run.sh", "app/start", "etc", "etc/conf"}) w.add_path(src, p);
  Result r = w.finish();

  image::Config cfg;
  cfg.add_diff_id(r.diff_id);
  cfg.set_entrypoint(std::vector<std::string>{"/app/run.sh"});
  std::string cfg_json = cfg.dump();
  image::Descriptor cd;
  cd.digest = "sha256:" + digest::sha256_hex(cfg_json);
  cd.size = static_cast<std::int64_t>(cfg_json.size());
  image::LayerBlob lb{{r.media_type_oci, r.digest, r.size}, r.file};
  auto m = image::make_manifest(image::ManifestFormat::Oci, cd, {lb.descriptor});
  image::ImageBlobs blobs{cfg_json, {lb}, image::to_json(m), m.media_type};

  fs::path oci = tmp.path() / "oci";
  image::write_oci_image(oci, blobs, "latest");
  auto [st, out] = sh("cd " + tmp.path().string() + " && umoci unpack --image " + oci.string() + ":latest bundle");
  ASSERT_EQ(st, 0) << out;
  fs::path rootfs = tmp.path() / "bundle/rootfs";
  EXPECT_EQ(read_file(rootfs / "app/run.sh"), "#!/bin/sh\necho hi\n");
  EXPECT_EQ(fs::read_symlink(rootfs / "app/start"), "run.sh");
  EXPECT_EQ(fs::status(rootfs / "etc/conf").permissions(), fs::perms::owner_read | fs::perms::owner_write);

  fs::path tar = tmp.path() / "image.tar";
  // Docker manifests use the Docker media type for the same bytes.
  lb.descriptor.media_type = r.media_type_docker;
  image::write_docker_archive(tar, cfg_json, {lb}, {"kiln.test/app:latest"});
  auto [st2, out2] = sh("skopeo --insecure-policy copy docker-archive:" + tar.string() + " oci:" +
                        (tmp.path() / "oci2").string() + ":x");
  ASSERT_EQ(st2, 0) << out2;
  auto [st3, out3] = sh("skopeo inspect --config oci:" + (tmp.path() / "oci2").string() + ":x");
  ASSERT_EQ(st3, 0) << out3;
  EXPECT_EQ(nlohmann::json::parse(out3)["rootfs"]["diff_ids"][0], r.diff_id);
}

TEST(ImageOutput, ZstdLayerInOciLayoutIsReadableBySkopeo) {
  TempDir tmp;
  fs::path src = tmp.path() / "src";
  write_file(src / "f", "zstd content");
  Writer w(tmp.path() / "layer.tar.zst", Compression::Zstd);
  w.add_path(src, "f");
  Result r = w.finish();
  image::Config cfg;
  cfg.add_diff_id(r.diff_id);
  std::string cfg_json = cfg.dump();
  image::Descriptor cd;
  cd.digest = "sha256:" + digest::sha256_hex(cfg_json);
  cd.size = static_cast<std::int64_t>(cfg_json.size());
  image::LayerBlob lb{{r.media_type_oci, r.digest, r.size}, r.file};
  auto m = image::make_manifest(image::ManifestFormat::Oci, cd, {lb.descriptor});
  fs::path oci = tmp.path() / "oci";
  image::write_oci_image(oci, {cfg_json, {lb}, image::to_json(m), m.media_type}, "z");
  auto [st, out] = sh("skopeo --insecure-policy copy oci:" + oci.string() + ":z dir:" + (tmp.path() / "d").string());
  ASSERT_EQ(st, 0) << out;  // skopeo verifies every blob's digest while copying
}

}  // namespace
}  // namespace kiln::layer
