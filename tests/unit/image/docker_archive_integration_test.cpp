#include "image/docker_archive.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "image_test_util.h"

namespace kiln::image {
namespace {

using namespace testing;

class DockerArchive : public ::testing::TestWithParam<ManifestFormat> {};

TEST_P(DockerArchive, SkopeoLoadsItIntoAnOciLayout) {
  TempDir tmp;
  auto img = make_image(tmp.path(), "archived\n", GetParam());
  fs::path tar = tmp.path() / "image.tar";
  write_docker_archive(tar, img.blobs.config_json, img.blobs.layers, {"registry.example:5000/team/app:1.0"});

  std::string layer_hex = img.blobs.layers[0].descriptor.digest.substr(7);
  std::string config_hex = digest::sha256_hex(img.blobs.config_json);
  CmdResult list = run("tar -tf " + tar.string());
  ASSERT_EQ(list.status, 0) << list.output;
  EXPECT_EQ(list.output, config_hex + ".json\n" + layer_hex + ".tar.gz\nmanifest.json\n");
  CmdResult mf = run("tar -xOf " + tar.string() + " manifest.json");
  auto m = nlohmann::json::parse(mf.output);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0]["Config"], config_hex + ".json");
  EXPECT_EQ(m[0]["RepoTags"][0], "registry.example:5000/team/app:1.0");
  EXPECT_EQ(m[0]["Layers"][0], layer_hex + ".tar.gz");

  CmdResult insp = run("skopeo inspect --config docker-archive:" + tar.string());
  ASSERT_EQ(insp.status, 0) << insp.output;
  EXPECT_EQ(nlohmann::json::parse(insp.output)["rootfs"]["diff_ids"][0], img.diff_id);

  fs::path oci = tmp.path() / "oci";
  CmdResult cp = run("skopeo --insecure-policy copy docker-archive:" + tar.string() + " oci:" + oci.string() + ":loaded");
  ASSERT_EQ(cp.status, 0) << cp.output;
  CmdResult un = run("cd " + tmp.path().string() + " && umoci unpack --image " + oci.string() + ":loaded bundle");
  ASSERT_EQ(un.status, 0) << un.output;
  EXPECT_EQ(slurp(tmp.path() / "bundle/rootfs/hello.txt"), "archived\n");
}

INSTANTIATE_TEST_SUITE_P(Formats, DockerArchive, ::testing::Values(ManifestFormat::Oci, ManifestFormat::Docker));

}  // namespace
}  // namespace kiln::image
