// parse_spec: which --context prefix means which source.
#include "context/build_context.h"

#include <gtest/gtest.h>

namespace kiln::context {
namespace {

void expect(std::string_view flag, Kind kind, std::string_view location) {
  Spec s = parse_spec(flag);
  EXPECT_EQ(s.kind, kind) << flag;
  EXPECT_EQ(s.location, location) << flag;
}

TEST(ParseSpec, PrefixesNameTheSource) {
  expect("/workspace", Kind::Dir, "/workspace");
  expect("dir:///workspace", Kind::Dir, "/workspace");
  expect("tar:///ctx.tar.gz", Kind::Tar, "/ctx.tar.gz");
  expect("tar://stdin", Kind::TarStdin, "");
  expect("git://example.com/r.git#main", Kind::Git, "example.com/r.git#main");
  expect("s3://bucket/ctx.tar.gz", Kind::S3, "bucket/ctx.tar.gz");
  expect("gs://bucket/ctx.tar.gz", Kind::Gcs, "bucket/ctx.tar.gz");
}

TEST(ParseSpec, AzureBlobHostsAreAzureOtherUrlsArePlainDownloads) {
  expect("https://acct.blob.core.windows.net/c/ctx.tar.gz", Kind::Azure,
         "https://acct.blob.core.windows.net/c/ctx.tar.gz");
  // The whole URL is kept: scheme and query (a pre-signed link) are needed.
  expect("https://ci.example.com/artefacts/ctx.tar.gz?sig=abc", Kind::Https,
         "https://ci.example.com/artefacts/ctx.tar.gz?sig=abc");
  expect("http://127.0.0.1:8080/ctx.tar.gz", Kind::Https, "http://127.0.0.1:8080/ctx.tar.gz");
}

}  // namespace
}  // namespace kiln::context
