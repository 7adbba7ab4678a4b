#include "image/oci_layout.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "image_test_util.h"

namespace kiln::image {
namespace {

using namespace testing;

TEST(OciLayout, BlobWithWrongDigestIsRefusedAndNotStored) {
  TempDir tmp;
  OciLayout layout(tmp.path() / "layout");
  fs::path f = tmp.path() / "blob";
  std::ofstream(f) << "not what the digest says";
  std::string wrong = "sha256:" + std::string(64, '0');
  try {
    layout.put_blob_file(f, wrong);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(wrong), std::string::npos) << e.what();
  }
  EXPECT_FALSE(layout.has_blob(wrong));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path() / "layout/blobs/sha256"), fs::directory_iterator{}), 0);
  EXPECT_THROW(layout.blob_path("sha256:../../etc/passwd"), Error);
  std::string d = layout.put_blob("hello");
  EXPECT_EQ(d, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(slurp(layout.blob_path(d)), "hello");
}

TEST(OciLayout, CorruptExistingLayoutIsAnError) {
  TempDir tmp;
  fs::create_directories(tmp.path() / "l");
  std::ofstream(tmp.path() / "l/index.json") << "{broken";
  EXPECT_THROW(OciLayout(tmp.path() / "l"), Error);
  std::ofstream(tmp.path() / "l/index.json", std::ios::trunc) << R"({"schemaVersion":2,"manifests":[]})";
  std::ofstream(tmp.path() / "l/oci-layout") << R"({"imageLayoutVersion":"9.9.9"})";
  EXPECT_THROW(OciLayout(tmp.path() / "l"), Error);
}

}  // namespace
}  // namespace kiln::image
