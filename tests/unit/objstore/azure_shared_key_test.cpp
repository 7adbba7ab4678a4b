// Shared Key: the string-to-sign layout of the Blob service and a signature
// computed independently (Python's hmac over the same string and key).
#include "objstore/azure_shared_key.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "base/error.h"
#include "objstore/azure_request.h"
#include "support/fake_env.h"

namespace kiln::objstore {
using kiln::testing::fake_env;

namespace {

// Azurite's published development key (not a secret).
constexpr const char* kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

TEST(AzureSharedKey, StringToSignLayout) {
  AzureRequest r;
  r.method = "GET";
  r.account = "myaccount";
  r.path = "/mycontainer/dir/ctx.tar.gz";
  r.query = {{"restype", "container"}, {"COMP", "metadata"}};
  r.headers = {{"x-ms-version", "2021-08-06"},
               {"Range", "bytes=0-99"},
               {"Content-Length", "0"},
               {"X-Ms-Date", " Fri, 26 Jun 2015 23:39:12 GMT "},
               {"User-Agent", "kiln"}};
  EXPECT_EQ(azure_string_to_sign(r),
            "GET\n\n\n\n\n\n\n\n\n\n\nbytes=0-99\n"
            "x-ms-date:Fri, 26 Jun 2015 23:39:12 GMT\nx-ms-version:2021-08-06\n"
            "/myaccount/mycontainer/dir/ctx.tar.gz\ncomp:metadata\nrestype:container");
  EXPECT_EQ(azure_authorization(r, kDevKey), "SharedKey myaccount:lZ5mua3YvxOitQXSwwwLjYyEu1suzuBoh8pe1PpVm3s=");
}

TEST(AzureSharedKey, RepeatedQueryValuesAreSortedAndJoined) {
  AzureRequest r;
  r.account = "a";
  r.path = "/c/b";
  r.query = {{"include", "snapshots"}, {"include", "metadata"}};
  EXPECT_EQ(azure_string_to_sign(r), "GET\n\n\n\n\n\n\n\n\n\n\n\n/a/c/b\ninclude:metadata,snapshots");
}

TEST(AzureSharedKey, BadKeyIsAUsageErrorWithoutTheKey) {
  AzureRequest r;
  try {
    azure_authorization(r, "not*base64!");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()).find("not*base64"), std::string::npos);
  }
}

TEST(AzureSharedKey, Rfc1123Date) { EXPECT_EQ(rfc1123_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT"); }

TEST(AzureRequest, PublicEndpointFromTheUrl) {
  auto t = azure_target("https://acct.blob.core.windows.net/ctr/dir/ctx.tar.gz",
                        fake_env({{"AZURE_STORAGE_ACCESS_KEY", kDevKey}}));
  EXPECT_EQ(t.url, "https://acct.blob.core.windows.net/ctr/dir/ctx.tar.gz");
  EXPECT_EQ(t.account, "acct");
  EXPECT_EQ(t.path, "/ctr/dir/ctx.tar.gz");
  EXPECT_EQ(t.key, kDevKey);
  auto req = azure_get(t, 784111777);
  ASSERT_EQ(req.headers.size(), 3u);
  EXPECT_EQ(req.headers[0], "x-ms-date: Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(req.headers[2].rfind("Authorization: SharedKey acct:", 0), 0u);
  EXPECT_FALSE(req.follow_redirects);
}

TEST(AzureRequest, AnonymousKeepsTheSasQuery) {
  auto t = azure_target("https://acct.blob.core.windows.net/ctr/ctx.tar.gz?sv=2021&sig=abc%3D", fake_env({}));
  EXPECT_EQ(t.url, "https://acct.blob.core.windows.net/ctr/ctx.tar.gz?sv=2021&sig=abc%3D");
  EXPECT_TRUE(t.key.empty());
  for (const auto& h : azure_get(t, 0).headers) EXPECT_EQ(h.find("Authorization"), std::string::npos);
}

TEST(AzureRequest, ConnectionStringEndpointForAzurite) {
  auto t = azure_target("https://devstoreaccount1.blob.core.windows.net/ctr/ctx.tar.gz",
                        fake_env({{"AZURE_STORAGE_CONNECTION_STRING",
                                 "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" +
                                     std::string(kDevKey) + ";BlobEndpoint=http://127.0.0.1:41234/devstoreaccount1/;"}}));
  EXPECT_EQ(t.url, "http://127.0.0.1:41234/devstoreaccount1/ctr/ctx.tar.gz");
  EXPECT_EQ(t.path, "/devstoreaccount1/ctr/ctx.tar.gz");  // signed as the SDKs do for path-style endpoints
  EXPECT_EQ(t.account, "devstoreaccount1");
  EXPECT_EQ(t.key, kDevKey);

  t = azure_target("https://x.blob.core.windows.net/ctr/ctx.tar.gz",
                   fake_env({{"AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"}}));
  EXPECT_EQ(t.url, "http://127.0.0.1:10000/devstoreaccount1/ctr/ctx.tar.gz");
  EXPECT_EQ(t.account, "devstoreaccount1");
}

TEST(AzureRequest, AccountFromTheEnvironment) {
  auto t = azure_target("https://acct.blob.core.windows.net/ctr/b.tar.gz",
                        fake_env({{"AZURE_STORAGE_ACCOUNT", "other"}, {"AZURE_STORAGE_KEY", "a2V5"}}));
  EXPECT_EQ(t.account, "other");
  EXPECT_EQ(t.key, "a2V5");
}

TEST(AzureRequest, ContainerAndBlobAreRequired) {
  EXPECT_THROW(azure_target("https://acct.blob.core.windows.net/ctr", fake_env({})), UsageError);
  EXPECT_THROW(azure_target("https://acct.blob.core.windows.net/ctr/", fake_env({})), UsageError);
  EXPECT_THROW(azure_target("https://acct.blob.core.windows.net/", fake_env({})), UsageError);
}

TEST(AzureRequest, ConnectionStringParsing) {
  auto cs = parse_connection_string("AccountName=a; AccountKey=abc==;BlobEndpoint=http://h:1/a");
  EXPECT_EQ(cs["accountname"], "a");
  EXPECT_EQ(cs["accountkey"], "abc==");
  EXPECT_EQ(cs["blobendpoint"], "http://h:1/a");
}

}  // namespace
}  // namespace kiln::objstore
