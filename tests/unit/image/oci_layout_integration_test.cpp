#include "image/oci_layout.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "image_test_util.h"

namespace kiln::image {
namespace {

using namespace testing;

TEST(OciLayout, SkopeoAndUmociReadTheImage) {
  TempDir tmp;
  auto img = make_image(tmp.path(), "hello from kiln\n", ManifestFormat::Oci);
  fs::path dir = tmp.path() / "layout";
  auto desc = write_oci_image(dir, img.blobs, "v1");
  EXPECT_EQ(desc.media_type, media::kOciManifest);
  EXPECT_EQ(desc.annotations.at("org.opencontainers.image.ref.name"), "v1");
  EXPECT_EQ(slurp(dir / "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");

  CmdResult raw = run("skopeo inspect --raw oci:" + dir.string() + ":v1");
  ASSERT_EQ(raw.status, 0) << raw.output;
  EXPECT_EQ(raw.output, img.blobs.manifest_json);
  CmdResult cfg = run("skopeo inspect --config oci:" + dir.string() + ":v1");
  ASSERT_EQ(cfg.status, 0) << cfg.output;
  EXPECT_EQ(nlohmann::json::parse(cfg.output)["rootfs"]["diff_ids"][0], img.diff_id);

  CmdResult un = run("cd " + tmp.path().string() + " && umoci unpack --image " + dir.string() + ":v1 bundle");
  ASSERT_EQ(un.status, 0) << un.output;
  EXPECT_EQ(slurp(tmp.path() / "bundle/rootfs/hello.txt"), "hello from kiln\n");
  CmdResult st = run("umoci stat --image " + dir.string() + ":v1");
  EXPECT_EQ(st.status, 0) << st.output;
  EXPECT_NE(st.output.find("COPY hello.txt /"), std::string::npos) << st.output;
}

TEST(OciLayout, AddingKeepsEarlierEntriesAndRetagReplaces) {
  TempDir tmp;
  fs::path dir = tmp.path() / "layout";
  auto a = make_image(tmp.path(), "a", ManifestFormat::Oci);
  auto b = make_image(tmp.path(), "b", ManifestFormat::Oci);
  auto c = make_image(tmp.path(), "c", ManifestFormat::Oci);
  write_oci_image(dir, a.blobs, "one");
  write_oci_image(dir, b.blobs, "two");
  write_oci_image(dir, b.blobs, std::nullopt);
  write_oci_image(dir, b.blobs, std::nullopt);  // listed untagged once
  auto c_desc = write_oci_image(dir, c.blobs, "one");  // moves tag "one" to c
  auto idx = OciLayout(dir).index();
  ASSERT_EQ(idx.manifests.size(), 3u);
  std::map<std::string, std::string> tags;
  for (auto& d : idx.manifests) {
    auto it = d.annotations.find("org.opencontainers.image.ref.name");
    tags[it == d.annotations.end() ? "" : it->second] = d.digest;
  }
  EXPECT_EQ(tags["one"], c_desc.digest);
  EXPECT_EQ(tags["two"], tags[""]);
  for (const char* t : {"one", "two"}) {
    CmdResult r = run("skopeo inspect --raw oci:" + dir.string() + ":" + t);
    EXPECT_EQ(r.status, 0) << r.output;
  }
  // The blob of the image that lost its tag is still there (no GC here).
  EXPECT_TRUE(OciLayout(dir).has_blob(a.blobs.layers[0].descriptor.digest));
}

}  // namespace
}  // namespace kiln::image
