#include "image/index_assembly.h"

#include <gtest/gtest.h>

#include "base/error.h"
#include "image/media_types.h"

namespace kiln::image {
namespace {

PlatformImage img(const std::string& source, std::string_view media_type, const std::string& arch,
                  const std::string& variant = "") {
  PlatformImage p;
  p.source = source;
  p.manifest.media_type = std::string(media_type);
  p.manifest.digest = "sha256:" + std::string(64, 'c');
  p.manifest.size = 500;
  p.platform.architecture = arch;
  p.platform.variant = variant;
  return p;
}

TEST(IndexAssembly, DockerManifestsMakeAManifestList) {
  Index idx = assemble_index({img("r:amd64", media::kDockerManifest, "amd64"),
                              img("r:arm64", media::kDockerManifest, "arm64", "v8")},
                             std::nullopt);
  EXPECT_EQ(idx.media_type, media::kDockerManifestList);
  ASSERT_EQ(idx.manifests.size(), 2u);
  EXPECT_EQ(idx.manifests[0].platform->str(), "linux/amd64");
  EXPECT_EQ(idx.manifests[1].platform->str(), "linux/arm64/v8");
  EXPECT_EQ(idx.manifests[1].digest, "sha256:" + std::string(64, 'c'));
  EXPECT_EQ(idx.manifests[1].size, 500);
}

TEST(IndexAssembly, AnyOciManifestMakesAnOciIndex) {
  Index idx = assemble_index({img("r:amd64", media::kDockerManifest, "amd64"),
                              img("r:arm64", media::kOciManifest, "arm64")},
                             std::nullopt);
  EXPECT_EQ(idx.media_type, media::kOciIndex);
  // The entries keep their own media types: an OCI index may list Docker manifests.
  EXPECT_EQ(idx.manifests[0].media_type, media::kDockerManifest);
}

TEST(IndexAssembly, FormatCanBeForced) {
  Index idx = assemble_index({img("r:amd64", media::kDockerManifest, "amd64")}, ManifestFormat::Oci);
  EXPECT_EQ(idx.media_type, media::kOciIndex);
}

TEST(IndexAssembly, OciManifestRefusedInADockerList) {
  try {
    assemble_index({img("r:arm64", media::kOciManifest, "arm64")}, ManifestFormat::Docker);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("r:arm64"), std::string::npos) << e.what();
  }
}

TEST(IndexAssembly, TwoImagesForOnePlatformNameBoth) {
  try {
    assemble_index({img("one:amd64", media::kDockerManifest, "amd64"),
                    img("two:amd64", media::kDockerManifest, "amd64")},
                   std::nullopt);
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string w = e.what();
    EXPECT_NE(w.find("linux/amd64"), std::string::npos) << w;
    EXPECT_NE(w.find("one:amd64"), std::string::npos) << w;
    EXPECT_NE(w.find("two:amd64"), std::string::npos) << w;
  }
}

TEST(IndexAssembly, VariantsAreDifferentPlatforms) {
  Index idx = assemble_index({img("r:v6", media::kOciManifest, "arm", "v6"),
                              img("r:v7", media::kOciManifest, "arm", "v7")},
                             std::nullopt);
  EXPECT_EQ(idx.manifests.size(), 2u);
}

TEST(IndexAssembly, RefusesEmptyAndNonManifests) {
  EXPECT_THROW(assemble_index({}, std::nullopt), Error);
  EXPECT_THROW(assemble_index({img("r:x", media::kOciIndex, "amd64")}, std::nullopt), Error);
  auto no_arch = img("r:y", media::kOciManifest, "amd64");
  no_arch.platform.architecture.clear();
  EXPECT_THROW(assemble_index({no_arch}, std::nullopt), Error);
}

TEST(IndexAssembly, SerialisesWithPlatforms) {
  std::string json = to_json(assemble_index({img("r:arm64", media::kOciManifest, "arm64", "v8")}, std::nullopt));
  Index back = parse_index(json);
  ASSERT_EQ(back.manifests.size(), 1u);
  ASSERT_TRUE(back.manifests[0].platform);
  EXPECT_EQ(back.manifests[0].platform->variant, "v8");
}

}  // namespace
}  // namespace kiln::image
