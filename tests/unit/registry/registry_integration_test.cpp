// Round trips against a real docker-registry: plain HTTP, then TLS with
// htpasswd Basic auth.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "base/error.h"
#include "http/transport_error.h"
#include "registry/client.h"
#include "registry/status_error.h"
#include "registry_server.h"
#include "test_support.h"

// Configs are written with designated initializers; omitted members keep
// their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace kiln;
using namespace kiln::registry;
using kiln::testing::CapturedLog;
using kiln::testing::RegistryServer;
using kiln::testing::TempDir;
using kiln::testing::describe;
using kiln::testing::manifest_json;
using kiln::testing::opener;

namespace {

Options fast_options() {
  Options o;
  o.retry_initial_delay = std::chrono::milliseconds(10);
  o.retry_max_delay = std::chrono::milliseconds(50);
  o.ca_file.clear();
  return o;
}

Keychain keychain_with(const std::string& host, const std::string& user, const std::string& pass) {
  return Keychain::parse(R"({"auths":{")" + host + R"(":{"username":")" + user + R"(","password":")" + pass + R"("}}})",
                         "/test/config.json");
}

const std::string kConfig = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";

std::string layer_bytes() {
  std::string s;
  for (int i = 0; i < 300000; ++i) s += static_cast<char>((i * 7919LL) % 251);
  return s;
}

// Push config + layer + manifest, then check everything comes back.
void round_trip(Client& c, CapturedLog& log, const std::string& host) {
  auto repo = parse_reference(host + "/kiln/app:v1");
  std::string layer = layer_bytes();
  auto cfg_desc = describe(kConfig, image::media::kOciConfig);
  auto layer_desc = describe(layer, image::media::kOciLayerGzip);

  EXPECT_FALSE(c.blob_exists(repo, layer_desc.digest));
  c.push_blob(repo, cfg_desc, opener(kConfig));
  c.push_blob(repo, layer_desc, opener(layer));
  EXPECT_TRUE(c.blob_exists(repo, layer_desc.digest));
  std::string manifest = manifest_json(cfg_desc, layer_desc);
  std::string mdigest = c.put_manifest(repo, image::media::kOciManifest, manifest);
  EXPECT_EQ(mdigest, "sha256:" + digest::sha256_hex(manifest));

  // A second push finds the blob and uploads nothing: the opener must not run.
  bool opened = false;
  c.push_blob(repo, layer_desc, [&]() -> std::unique_ptr<BlobSource> {
    opened = true;
    return std::make_unique<kiln::testing::StringSource>(layer);
  });
  EXPECT_FALSE(opened);
  EXPECT_NE(log.text().find("already in"), std::string::npos);

  // Pull by tag and by digest.
  auto by_tag = c.get_manifest(repo);
  EXPECT_EQ(by_tag.bytes, manifest);
  EXPECT_EQ(by_tag.digest, mdigest);
  EXPECT_EQ(by_tag.media_type, image::media::kOciManifest);
  auto by_digest = c.get_manifest(parse_reference(host + "/kiln/app@" + mdigest));
  EXPECT_EQ(by_digest.bytes, manifest);
  EXPECT_TRUE(c.head_manifest(repo).has_value());
  EXPECT_FALSE(c.head_manifest(parse_reference(host + "/kiln/app:nope")).has_value());
  EXPECT_EQ(c.fetch_blob_bytes(repo, cfg_desc), kConfig);
  EXPECT_EQ(c.fetch_blob_bytes(repo, layer_desc), layer);

  // A digest that does not match the pinned reference is refused.
  std::string other = "sha256:" + std::string(64, 'b');
  EXPECT_THROW(c.get_manifest(parse_reference(host + "/kiln/app@" + other)), StatusError);

  // Cross-repository mount: no bytes are read for the second repository.
  auto repo2 = parse_reference(host + "/kiln/other:v1");
  bool opened2 = false;
  c.push_blob(repo2, layer_desc,
              [&]() -> std::unique_ptr<BlobSource> {
                opened2 = true;
                return std::make_unique<kiln::testing::StringSource>(layer);
              },
              {repo});
  EXPECT_FALSE(opened2);
  EXPECT_NE(log.text().find("Mounted " + layer_desc.digest + " from " + repo.repo_str()), std::string::npos);
  EXPECT_EQ(c.fetch_blob_bytes(repo2, layer_desc), layer);

  // An index pointing at the manifest resolves for linux/amd64 only.
  std::string index = R"({"schemaVersion":2,"mediaType":")" + std::string(image::media::kOciIndex) +
                      R"(","manifests":[{"mediaType":")" + std::string(image::media::kOciManifest) +
                      R"(","digest":")" + mdigest + R"(","size":)" + std::to_string(manifest.size()) +
                      R"(,"platform":{"os":"linux","architecture":"amd64"}}]})";
  auto multi = parse_reference(host + "/kiln/app:multi");
  c.put_manifest(multi, image::media::kOciIndex, index);
  auto resolved = c.resolve(multi, image::Platform{});
  EXPECT_EQ(resolved.digest, mdigest);
  EXPECT_EQ(resolved.bytes, manifest);
  try {
    c.resolve(multi, image::Platform{"linux", "arm64", "", ""});
    FAIL() << "expected no match";
  } catch (const Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("linux/arm64"), std::string::npos) << m;
    EXPECT_NE(m.find("available: linux/amd64"), std::string::npos) << m;
  }
}

}  // namespace

TEST(RegistryIntegration, PlainHttpRoundTrip) {
  RegistryServer reg({});
  CapturedLog log;
  Options o = fast_options();
  o.insecure_registries.insert(reg.host());
  Client c(o, Keychain::parse("{}", "/test/config.json"), log.logger());
  round_trip(c, log, reg.host());

  // One client, several threads pushing and pulling at once.
  auto repo = parse_reference(reg.host() + "/kiln/parallel");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::string data = "blob number " + std::to_string(t) + std::string(100000 + t, 'p');
      auto d = describe(data, image::media::kOciLayerGzip);
      c.push_blob(repo, d, opener(data));
      if (c.fetch_blob_bytes(repo, d) == data) ++ok;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 4);
}

TEST(RegistryIntegration, ChunkedUploadAndTamperedBlob) {
  RegistryServer reg({});
  CapturedLog log;
  Options o = fast_options();
  o.chunked_upload_threshold = 1000;
  o.upload_chunk_size = 4096;
  Client c(o, Keychain::parse("{}", "/test/config.json"), log.logger());
  auto repo = parse_reference(reg.host() + "/kiln/chunky");
  std::string data = layer_bytes().substr(0, 10000);
  auto desc = describe(data, image::media::kOciLayerGzip);
  c.push_blob(repo, desc, opener(data));
  EXPECT_EQ(c.fetch_blob_bytes(repo, desc), data);

  // A source that does not match its descriptor is refused: same length,
  // other content (monolithic and chunked), and too short.
  auto lie = describe("something else entirely", image::media::kOciLayerGzip);
  EXPECT_THROW(c.push_blob(repo, lie, opener("SOMETHING else entirely")), IoError);
  auto big_lie = describe(data + "x", image::media::kOciLayerGzip);
  EXPECT_THROW(c.push_blob(repo, big_lie, opener(data + "y")), IoError);
  try {
    c.push_blob(repo, big_lie, opener(data));
    FAIL() << "expected a short-source error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("ended after 10000 of 10001 bytes"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(c.blob_exists(repo, big_lie.digest));

  // Flip bytes on the registry's disk: the download must be refused.
  auto path = reg.blob_path(desc.digest);
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    f.write("TAMPERED", 8);
  }
  std::string received;
  try {
    c.fetch_blob(repo, desc, [&](const char* p, std::size_t n) { received.append(p, n); });
    FAIL() << "expected a digest mismatch";
  } catch (const IoError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("digest mismatch"), std::string::npos) << m;
    EXPECT_NE(m.find(desc.digest), std::string::npos) << m;
  }
}

TEST(RegistryIntegration, TlsWithBasicAuth) {
  RegistryServer reg({.tls = true, .htpasswd_user = "kiln", .htpasswd_pass = "s3cret-pass"});
  CapturedLog log;
  Options o = fast_options();
  o.registry_ca[reg.host()] = reg.ca();
  {
    Client c(o, keychain_with(reg.host(), "kiln", "s3cret-pass"), log.logger());
    round_trip(c, log, reg.host());
  }
  // Wrong password: a clear 401 that names the registry and the config file,
  // and never the password.
  {
    CapturedLog log2;
    Client c(o, keychain_with(reg.host(), "kiln", "wrong-Passw0rd"), log2.logger());
    try {
      c.push_blob(parse_reference(reg.host() + "/kiln/app"), describe("x", image::media::kOciLayerGzip), opener("x"));
      FAIL() << "expected 401";
    } catch (const StatusError& e) {
      std::string m = e.what();
      EXPECT_EQ(e.status(), 401);
      EXPECT_NE(m.find("401 Unauthorized"), std::string::npos) << m;
      EXPECT_NE(m.find("check the credentials for " + reg.host() + " in /test/config.json"), std::string::npos) << m;
      EXPECT_EQ(m.find("wrong-Passw0rd"), std::string::npos) << m;
      EXPECT_EQ(m.find("d3JvbmctUGFzc3cwcmQ"), std::string::npos) << m;  // nor its base64
    }
    std::string logs = log2.text();
    EXPECT_EQ(logs.find("wrong-Passw0rd"), std::string::npos);
    EXPECT_EQ(logs.find("Authorization"), std::string::npos);
  }
  // No credentials at all.
  {
    Client c(o, Keychain::parse("{}", "/test/config.json"), log.logger());
    try {
      c.get_manifest(parse_reference(reg.host() + "/kiln/app:v1"));
      FAIL() << "expected 401";
    } catch (const StatusError& e) {
      EXPECT_NE(std::string(e.what()).find("no credentials for " + reg.host()), std::string::npos) << e.what();
    }
  }
  // Without the CA the certificate is refused. The registry is local, so
  // plain HTTP is tried as well (as kaniko does), and fails too; the
  // message leads with the certificate problem.
  {
    Options no_ca = fast_options();
    Client c(no_ca, keychain_with(reg.host(), "kiln", "s3cret-pass"), log.logger());
    try {
      c.get_manifest(parse_reference(reg.host() + "/kiln/app:v1"));
      FAIL() << "expected a certificate error";
    } catch (const Error& e) {
      std::string m = e.what();
      EXPECT_NE(m.find("certificate"), std::string::npos) << m;
      EXPECT_NE(m.find(reg.host()), std::string::npos) << m;
    }
  }
  // --skip-tls-verify-registry accepts it.
  {
    Options skip = fast_options();
    skip.skip_verify_registries.insert(reg.host());
    Client c(skip, keychain_with(reg.host(), "kiln", "s3cret-pass"), log.logger());
    EXPECT_NO_THROW(c.get_manifest(parse_reference(reg.host() + "/kiln/app:v1")));
  }
}

TEST(RegistryIntegration, ClosedPortFailsClearlyAfterRetries) {
  int port = kiln::testing::free_port();
  CapturedLog log;
  Options o = fast_options();
  o.pull_retry = 2;
  Client c(o, Keychain::parse("{}", "/test/config.json"), log.logger());
  std::string host = "127.0.0.1:" + std::to_string(port);
  try {
    c.get_manifest(parse_reference(host + "/kiln/app:v1"));
    FAIL() << "expected a transport error";
  } catch (const http::TransportError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find(host), std::string::npos) << m;
    EXPECT_NE(m.find("after 3 attempts"), std::string::npos) << m;
  }
  std::string logs = log.text();
  EXPECT_NE(logs.find("attempt 2 of 3"), std::string::npos) << logs;
  EXPECT_NE(logs.find("attempt 3 of 3"), std::string::npos) << logs;
}
