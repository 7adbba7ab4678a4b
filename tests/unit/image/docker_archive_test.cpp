#include "image/docker_archive.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "image_test_util.h"

namespace kiln::image {
namespace {

using namespace testing;

TEST(DockerArchiveErrors, MissingLayerFileNamesTheLayer) {
  TempDir tmp;
  LayerBlob l;
  l.descriptor.media_type = media::kDockerLayerGzip;
  l.descriptor.digest = "sha256:" + std::string(64, 'a');
  l.file = tmp.path() / "nope.tar.gz";
  try {
    write_docker_archive(tmp.path() / "x.tar", "{}", {l}, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(l.descriptor.digest), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(tmp.path() / "x.tar"));
}

TEST(DockerArchiveErrors, SameInputSameBytes) {
  TempDir tmp;
  auto img = make_image(tmp.path(), "same\n", ManifestFormat::Docker);
  write_docker_archive(tmp.path() / "a.tar", img.blobs.config_json, img.blobs.layers, {"a:b"});
  write_docker_archive(tmp.path() / "b.tar", img.blobs.config_json, img.blobs.layers, {"a:b"});
  EXPECT_EQ(slurp(tmp.path() / "a.tar"), slurp(tmp.path() / "b.tar"));
}

}  // namespace
}  // namespace kiln::image
