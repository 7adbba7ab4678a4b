#include "layer/blob_diff_id.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/error.h"
#include "digest/sha256.h"
#include "compressed_samples.h"

namespace kiln::layer {
namespace {

namespace fs = std::filesystem;

using testing::gzip_of;
using testing::zstd_of;

std::string streamed(const std::string& blob, std::size_t step) {
  DiffIdStream ids("layer test");
  for (std::size_t i = 0; i < blob.size(); i += step) ids.write(blob.data() + i, std::min(step, blob.size() - i));
  return ids.finish();
}

struct TempFile {
  fs::path path = fs::temp_directory_path() / ("kiln-diffid-" + std::to_string(getpid()));
  explicit TempFile(const std::string& content) { std::ofstream(path, std::ios::binary) << content; }
  ~TempFile() { fs::remove(path); }
};

TEST(BlobDiffId, GzipZstdAndPlainGiveTheHashOfTheUncompressedBytes) {
  const std::string tar = testing::sample_lines(3 << 20, 7);  // several parallel-gzip members
  const std::string want = "sha256:" + digest::sha256_hex(tar);
  for (const std::string& blob : {gzip_of(tar, 2), zstd_of(tar), tar}) {
    EXPECT_EQ(streamed(blob, blob.size()), want);
    EXPECT_EQ(streamed(blob, 4093), want);
    TempFile f(blob);
    EXPECT_EQ(blob_diff_id(f.path), want);
  }
}

TEST(BlobDiffId, TruncatedOrCorruptBlobsAreRefused) {
  const std::string gz = gzip_of(testing::sample_lines(200000, 7));
  EXPECT_THROW(streamed(gz.substr(0, gz.size() / 2), 1000), Error);
  std::string flipped = gz;
  flipped[flipped.size() / 2] ^= 0x55;
  EXPECT_THROW(streamed(flipped, 1000), Error);
  TempFile f(gz.substr(0, gz.size() - 4));
  EXPECT_THROW(blob_diff_id(f.path), Error);
}

TEST(BlobDiffId, MissingFileIsNamed) {
  try {
    blob_diff_id("/nonexistent/kiln-blob");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/kiln-blob"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kiln::layer
