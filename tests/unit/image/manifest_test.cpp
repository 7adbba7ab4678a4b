#include "image/manifest.h"

#include <gtest/gtest.h>

// Platforms are written as {os, arch[, variant]}; os_version stays empty.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "image/media_types.h"
#include "image/platform.h"

namespace kiln::image {
namespace {

std::string D(char c) { return "sha256:" + std::string(64, c); }

Descriptor layer(char c, std::string type = std::string(media::kOciLayerGzip)) {
  Descriptor d;
  d.media_type = type;
  d.digest = D(c);
  d.size = 100 + c;
  return d;
}

Descriptor config_desc() {
  Descriptor d;
  d.digest = D('c');
  d.size = 1234;
  return d;
}

TEST(Manifest, BuildOciWithAnnotationsAndParseBack) {
  auto m = make_manifest(ManifestFormat::Oci, config_desc(), {layer('1'), layer('2')},
                         {{"org.opencontainers.image.created", "2024-01-01T00:00:00Z"}});
  EXPECT_EQ(m.media_type, media::kOciManifest);
  EXPECT_EQ(m.config.media_type, media::kOciConfig);
  std::string text = to_json(m);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["schemaVersion"], 2);
  EXPECT_EQ(j["mediaType"], media::kOciManifest);
  EXPECT_EQ(j["layers"][1]["digest"], D('2'));
  EXPECT_EQ(j["layers"][1]["size"], 100 + '2');
  EXPECT_EQ(j["annotations"]["org.opencontainers.image.created"], "2024-01-01T00:00:00Z");
  auto back = parse_manifest(text, media::kOciManifest);
  EXPECT_EQ(back.layers.size(), 2u);
  EXPECT_EQ(back.config.digest, D('c'));
  EXPECT_EQ(back.annotations.size(), 1u);
  EXPECT_EQ(to_json(back), text);  // canonical bytes are stable
}

TEST(Manifest, BuildDocker) {
  auto m = make_manifest(ManifestFormat::Docker, config_desc(), {layer('1', std::string(media::kDockerLayerGzip))});
  auto j = nlohmann::json::parse(to_json(m));
  EXPECT_EQ(j["mediaType"], media::kDockerManifest);
  EXPECT_EQ(j["config"]["mediaType"], media::kDockerConfig);
  EXPECT_FALSE(j.contains("annotations"));
  EXPECT_THROW(make_manifest(ManifestFormat::Docker, config_desc(), {}, {{"a", "b"}}), Error);
}

TEST(Manifest, BuildRejectsBadDescriptors) {
  auto bad = layer('1');
  bad.digest = "sha256:1234";
  EXPECT_THROW(make_manifest(ManifestFormat::Oci, config_desc(), {bad}), Error);
  auto untyped = layer('1');
  untyped.media_type.clear();
  try {
    make_manifest(ManifestFormat::Oci, config_desc(), {layer('0'), untyped});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 1"), std::string::npos) << e.what();
  }
}

TEST(Manifest, ParseErrorsNameTheProblem) {
  auto expect_error = [](const std::string& text, const std::string& needle, std::string_view type = {}) {
    try {
      parse_manifest(text, type);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  std::string cfg = R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + D('c') + R"(","size":2})";
  expect_error("{", "not valid JSON");
  expect_error(R"({"schemaVersion":1,)" + cfg + R"(,"layers":[]})", "schemaVersion");
  expect_error(R"({"schemaVersion":2,"layers":[]})", "config");
  expect_error(R"({"schemaVersion":2,)" + cfg + R"(,"layers":[{"mediaType":"a/b","digest":"sha256:xyz","size":1}]})",
               "layer 0");
  expect_error(R"({"schemaVersion":2,)" + cfg + R"(,"layers":[{"mediaType":"a/b","digest":")" + D('1') +
                   R"(","size":-5}]})",
               "negative");
  expect_error(R"({"schemaVersion":2,)" + cfg + R"(,"layers":[{"mediaType":"nonsense","digest":")" + D('1') +
                   R"(","size":5}]})",
               "media type");
  expect_error(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})",
               "index");
  expect_error(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)" + cfg +
                   R"(,"layers":[]})",
               "does not match", media::kDockerManifest);
  // No mediaType in the document is allowed for OCI.
  EXPECT_NO_THROW(parse_manifest(R"({"schemaVersion":2,)" + cfg + R"(,"layers":[]})"));
}

const char* kList = R"({
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": "sha256:1111111111111111111111111111111111111111111111111111111111111111", "size": 1, "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": "sha256:2222222222222222222222222222222222222222222222222222222222222222", "size": 1, "platform": {"architecture": "arm", "os": "linux", "variant": "v6"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": "sha256:3333333333333333333333333333333333333333333333333333333333333333", "size": 1, "platform": {"architecture": "arm", "os": "linux", "variant": "v7"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": "sha256:4444444444444444444444444444444444444444444444444444444444444444", "size": 1, "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "digest": "sha256:5555555555555555555555555555555555555555555555555555555555555555", "size": 1, "platform": {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1"}}
  ]
})";

TEST(Index, ParseDockerListAndSelect) {
  auto idx = parse_index(kList, media::kDockerManifestList);
  ASSERT_EQ(idx.manifests.size(), 5u);
  EXPECT_EQ(idx.manifests[4].platform->os_version, "10.0.17763.1");
  auto pick = [&](Platform p) {
    auto d = select_platform(idx, p);
    return d ? d->digest.substr(7, 1) : std::string("none");
  };
  EXPECT_EQ(pick({"linux", "amd64"}), "1");
  EXPECT_EQ(pick({"linux", "x86_64"}), "1");
  EXPECT_EQ(pick({"linux", "arm64"}), "4");  // empty variant means v8
  EXPECT_EQ(pick({"linux", "aarch64", "v8"}), "4");
  EXPECT_EQ(pick({"linux", "arm"}), "3");  // empty variant means v7
  EXPECT_EQ(pick({"linux", "arm", "v6"}), "2");
  EXPECT_EQ(pick({"linux", "armhf"}), "3");
  EXPECT_EQ(pick({"windows", "amd64"}), "5");
  EXPECT_EQ(pick({"linux", "s390x"}), "none");
  EXPECT_EQ(pick({"linux", "arm64", "v9"}), "none");
}

TEST(Index, ArmFallsBackToOlderVariants) {
  Index idx;
  Descriptor v5;
  v5.media_type = media::kOciManifest;
  v5.digest = D('5');
  v5.platform = Platform{"linux", "arm", "v5"};
  idx.manifests.push_back(v5);
  EXPECT_TRUE(select_platform(idx, {"linux", "arm", "v7"}));
  EXPECT_FALSE(select_platform(idx, {"linux", "arm64"}));
}

TEST(Index, OciEntriesWithoutPlatformAreSkipped) {
  std::string text = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + D('a') + R"(","size":3,
     "annotations":{"vnd.docker.reference.type":"attestation-manifest"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + D('b') + R"(","size":3,
     "platform":{"architecture":"unknown","os":"unknown"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + D('e') + R"(","size":3,
     "platform":{"architecture":"amd64","os":"linux"}}]})";
  auto idx = parse_index(text);
  EXPECT_EQ(idx.manifests.size(), 3u);
  auto d = select_platform(idx, {"linux", "amd64"});
  ASSERT_TRUE(d);
  EXPECT_EQ(d->digest, D('e'));
  EXPECT_EQ(to_json(parse_index(to_json(idx))), to_json(idx));
}

TEST(Index, Errors) {
  EXPECT_THROW(parse_index(R"({"schemaVersion":2,"manifests":{}})"), Error);
  // Docker lists must say which platform each entry is for.
  std::string no_platform = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",
    "manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":")" + D('a') + R"(","size":3}]})";
  EXPECT_THROW(parse_index(no_platform), Error);
  EXPECT_THROW(parse_index(R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]})"),
               Error);
}

TEST(Detect, MediaTypeFromDocument) {
  EXPECT_EQ(detect_media_type(kList), media::kDockerManifestList);
  EXPECT_EQ(detect_media_type(R"({"schemaVersion":2,"manifests":[]})"), media::kOciIndex);
  EXPECT_EQ(detect_media_type(R"({"schemaVersion":2,"layers":[]})"), media::kOciManifest);
  EXPECT_THROW(detect_media_type(R"({"schemaVersion":2})"), Error);
}

}  // namespace
}  // namespace kiln::image

namespace kiln::image {
namespace {

TEST(NativePlatform, IsTheArchitectureThisTestWasCompiledFor) {
  Platform p = native_platform();
  EXPECT_EQ(p.os, "linux");
#if defined(__x86_64__)
  EXPECT_EQ(p.architecture, "amd64");
#elif defined(__aarch64__)
  EXPECT_EQ(p.architecture, "arm64");
#endif
  // Its name is one select_platform understands.
  Index idx;
  Descriptor d;
  d.digest = "sha256:" + std::string(64, 'a');
  d.platform = p;
  idx.manifests.push_back(d);
  EXPECT_TRUE(select_platform(idx, p).has_value());
}

}  // namespace
TEST(SamePlatform, SpellingsOfOnePlatformAreOne) {
  EXPECT_TRUE(same_platform({"linux", "x86_64", ""}, {"linux", "amd64", ""}));
  EXPECT_TRUE(same_platform({"linux", "aarch64", ""}, {"linux", "arm64", "v8"}));
  EXPECT_TRUE(same_platform({"linux", "armhf", ""}, {"linux", "arm", "v7"}));
  EXPECT_FALSE(same_platform({"linux", "arm", "v6"}, {"linux", "arm", "v7"}));
  EXPECT_FALSE(same_platform({"linux", "amd64", ""}, {"windows", "amd64", ""}));
  EXPECT_FALSE(same_platform({"linux", "amd64", ""}, {"linux", "arm64", ""}));
}

TEST(SamePlatform, AddUniqueKeepsTheFirstSpellingInOrder) {
  std::vector<Platform> list;
  add_unique_platform(list, {"linux", "arm64", ""});
  add_unique_platform(list, {"linux", "amd64", ""});
  add_unique_platform(list, {"linux", "aarch64", ""});
  add_unique_platform(list, {"linux", "x86_64", ""});
  add_unique_platform(list, {"linux", "arm", "v7"});
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].architecture, "arm64");
  EXPECT_EQ(list[1].architecture, "amd64");
  EXPECT_EQ(list[2].str(), "linux/arm/v7");
}

}  // namespace kiln::image
