#include "objstore/store_error.h"

#include <gtest/gtest.h>

namespace kiln::objstore {
namespace {

TEST(StoreError, S3Xml) {
  EXPECT_EQ(describe_store_error(404,
                                 "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key "
                                 "does not exist.</Message><Key>a</Key></Error>"),
            "HTTP 404 NoSuchKey (The specified key does not exist.)");
}

TEST(StoreError, AzureXmlKeepsTheFirstLine) {
  EXPECT_EQ(describe_store_error(404,
                                 "<Error>\n  <Code>BlobNotFound</Code>\n  <Message>The specified blob does not "
                                 "exist.\nRequestId:1\nTime:2026</Message>\n</Error>"),
            "HTTP 404 BlobNotFound (The specified blob does not exist.)");
}

TEST(StoreError, GcsJson) {
  EXPECT_EQ(describe_store_error(403, R"({"error":{"code":403,"message":"x@y does not have storage.objects.get"}})"),
            "HTTP 403 (x@y does not have storage.objects.get)");
}

TEST(StoreError, AnythingElseIsTheStatusOnly) {
  EXPECT_EQ(describe_store_error(502, "<html>bad gateway</html>"), "HTTP 502");
  EXPECT_EQ(describe_store_error(500, ""), "HTTP 500");
}

}  // namespace
}  // namespace kiln::objstore
