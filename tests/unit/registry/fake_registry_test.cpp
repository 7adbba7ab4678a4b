// The client against a scripted registry (a small in-process HTTP server):
// Bearer tokens, retries, mirrors and redirects to storage, where the real
// docker-registry cannot be made to misbehave on demand.
#include <gtest/gtest.h>

#include <atomic>
#include <vector>
#include <mutex>

#include "../http/test_server.h"
#include "base/error.h"
#include "digest/sha256.h"
#include "registry/base64.h"
#include "registry/client.h"
#include "registry/push_image.h"
#include "registry/status_error.h"
#include "test_support.h"

using namespace kiln;
using namespace kiln::registry;
using kiln::testing::CapturedLog;
using kiln::testing::Reply;
using kiln::testing::SeenRequest;
using kiln::testing::TestServer;

namespace {

const std::string kManifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";

Options fast_options() {
  Options o;
  o.retry_initial_delay = std::chrono::milliseconds(10);
  o.retry_max_delay = std::chrono::milliseconds(2000);
  o.ca_file.clear();
  return o;
}

std::string host_of(const TestServer& s) { return "127.0.0.1:" + std::to_string(s.port()); }

Reply manifest_reply() {
  return Reply{200, {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"},
                     {"Docker-Content-Digest", "sha256:" + digest::sha256_hex(kManifest)}}, kManifest};
}

bool is_ping(const SeenRequest& r) { return r.target == "/v2/"; }

}  // namespace

TEST(FakeRegistry, BearerTokenFlowWithBasicCredentialsAndCaching) {
  std::atomic<int> token_requests{0};
  std::string token_auth, token_target;
  int port = 0;
  TestServer srv([&](const SeenRequest& r) {
    std::string realm = "http://127.0.0.1:" + std::to_string(port) + "/token";
    Reply challenge{401, {{"WWW-Authenticate", "Bearer realm=\"" + realm + "\",service=\"fake-registry\""}}, ""};
    if (r.target.rfind("/token", 0) == 0) {
      ++token_requests;
      token_auth = r.headers.count("authorization") ? r.headers.at("authorization") : "";
      token_target = r.target;
      return Reply{200, {}, R"({"access_token":"tok-123","expires_in":300})"};
    }
    if (!r.has("authorization") || r.headers.at("authorization") != "Bearer tok-123") return challenge;
    if (is_ping(r)) return Reply{200, {}, "{}"};
    return manifest_reply();
  });
  port = srv.port();
  CapturedLog log;
  auto kc = Keychain::parse(R"({"auths":{")" + host_of(srv) + R"(":{"username":"alice","password":"pa55word"}}})", "/cfg.json");
  Client c(fast_options(), kc, log.logger());
  auto ref = parse_reference(host_of(srv) + "/team/app:v1");
  EXPECT_EQ(c.get_manifest(ref).bytes, kManifest);
  EXPECT_EQ(c.get_manifest(ref).bytes, kManifest);
  EXPECT_EQ(token_requests.load(), 1);  // cached for its lifetime
  EXPECT_EQ(token_auth, "Basic " + base64_encode("alice:pa55word"));
  EXPECT_NE(token_target.find("service=fake-registry"), std::string::npos) << token_target;
  EXPECT_NE(token_target.find("scope=repository%3Ateam%2Fapp%3Apull"), std::string::npos) << token_target;
  std::string logs = log.text();
  EXPECT_EQ(logs.find("tok-123"), std::string::npos);
  EXPECT_EQ(logs.find("pa55word"), std::string::npos);
}

TEST(FakeRegistry, IdentityTokenUsesRefreshGrant) {
  std::string token_body;
  int port = 0;
  TestServer srv([&](const SeenRequest& r) {
    if (r.target == "/token" && r.method == "POST") {
      token_body = r.body;
      return Reply{200, {}, R"({"token":"tok-xyz"})"};
    }
    if (!r.has("authorization"))
      return Reply{401, {{"WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:" + std::to_string(port) + "/token\",service=\"svc\""}}, ""};
    return is_ping(r) ? Reply{200, {}, "{}"} : manifest_reply();
  });
  port = srv.port();
  CapturedLog log;
  auto kc = Keychain::parse(R"({"auths":{")" + host_of(srv) + R"(":{"identitytoken":"refresh-abc"}}})", "/cfg.json");
  Client c(fast_options(), kc, log.logger());
  EXPECT_EQ(c.get_manifest(parse_reference(host_of(srv) + "/app:v1")).bytes, kManifest);
  EXPECT_NE(token_body.find("grant_type=refresh_token"), std::string::npos) << token_body;
  EXPECT_NE(token_body.find("refresh_token=refresh-abc"), std::string::npos) << token_body;
  EXPECT_NE(token_body.find("service=svc"), std::string::npos) << token_body;
}

TEST(FakeRegistry, TokenServerRefusalIsClearAndSecretFree) {
  int port = 0;
  TestServer srv([&](const SeenRequest& r) {
    if (r.target.rfind("/token", 0) == 0) return Reply{401, {}, R"({"details":"bad creds"})"};
    return Reply{401, {{"WWW-Authenticate", "Bearer realm=\"http://127.0.0.1:" + std::to_string(port) + "/token\",service=\"svc\""}}, ""};
  });
  port = srv.port();
  CapturedLog log;
  auto kc = Keychain::parse(R"({"auths":{")" + host_of(srv) + R"(":{"username":"bob","password":"hunter2"}}})", "/kaniko/.docker/config.json");
  Client c(fast_options(), kc, log.logger());
  try {
    c.get_manifest(parse_reference(host_of(srv) + "/app:v1"));
    FAIL();
  } catch (const StatusError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("401 Unauthorized"), std::string::npos) << m;
    EXPECT_NE(m.find("check the credentials for " + host_of(srv) + " in /kaniko/.docker/config.json"), std::string::npos) << m;
    EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
    EXPECT_EQ(m.find(base64_encode("bob:hunter2")), std::string::npos) << m;
  }
}

TEST(FakeRegistry, RetriesServerErrorsButNotClientErrors) {
  std::atomic<int> manifest_hits{0};
  TestServer srv([&](const SeenRequest& r) {
    if (is_ping(r)) return Reply{200, {}, "{}"};
    if (r.target.find("/missing") != std::string::npos) {
      ++manifest_hits;
      return Reply{404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"};
    }
    if (++manifest_hits <= 2) return Reply{503, {}, "busy"};
    return manifest_reply();
  });
  CapturedLog log;
  Options o = fast_options();
  o.pull_retry = 2;
  Client c(o, Keychain::parse("{}", "/cfg.json"), log.logger());
  EXPECT_EQ(c.get_manifest(parse_reference(host_of(srv) + "/app:v1")).bytes, kManifest);
  EXPECT_EQ(manifest_hits.load(), 3);

  manifest_hits = 0;
  try {
    c.get_manifest(parse_reference(host_of(srv) + "/missing:v1"));
    FAIL();
  } catch (const StatusError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_NE(std::string(e.what()).find("MANIFEST_UNKNOWN: manifest unknown"), std::string::npos) << e.what();
  }
  EXPECT_EQ(manifest_hits.load(), 1);  // 404 is final

  // Without retries configured, the first 503 is final.
  manifest_hits = 0;
  Options none = fast_options();
  Client c0(none, Keychain::parse("{}", "/cfg.json"), log.logger());
  try {
    c0.get_manifest(parse_reference(host_of(srv) + "/app:v1"));
    FAIL();
  } catch (const StatusError& e) {
    EXPECT_EQ(e.status(), 503);
  }
  EXPECT_EQ(manifest_hits.load(), 1);
}

TEST(FakeRegistry, TooManyRequestsHonoursRetryAfter) {
  std::atomic<int> hits{0};
  TestServer srv([&](const SeenRequest& r) {
    if (is_ping(r)) return Reply{200, {}, "{}"};
    if (++hits == 1) return Reply{429, {{"Retry-After", "1"}}, ""};
    return manifest_reply();
  });
  CapturedLog log;
  Options o = fast_options();
  o.pull_retry = 1;
  Client c(o, Keychain::parse("{}", "/cfg.json"), log.logger());
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(c.get_manifest(parse_reference(host_of(srv) + "/app:v1")).bytes, kManifest);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  EXPECT_NE(log.text().find("retrying in 1000 ms"), std::string::npos) << log.text();
}

TEST(FakeRegistry, WrongManifestDigestHeaderIsRefused) {
  TestServer srv([&](const SeenRequest& r) {
    if (is_ping(r)) return Reply{200, {}, "{}"};
    return Reply{200, {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"},
                       {"Docker-Content-Digest", "sha256:" + std::string(64, 'c')}}, kManifest};
  });
  CapturedLog log;
  Client c(fast_options(), Keychain::parse("{}", "/cfg.json"), log.logger());
  EXPECT_THROW(c.get_manifest(parse_reference(host_of(srv) + "/app:v1")), IoError);
}

TEST(FakeRegistry, MirrorsAreTriedInOrderThenTheOrigin) {
  // Docker Hub itself is not reachable here, so the "origin" part is
  // checked through registry_map on a local registry instead.
  TestServer broken([&](const SeenRequest& r) { return is_ping(r) ? Reply{200, {}, "{}"} : Reply{500, {}, ""}; });
  TestServer good([&](const SeenRequest& r) { return is_ping(r) ? Reply{200, {}, "{}"} : manifest_reply(); });
  CapturedLog log;
  Options o = fast_options();
  o.mirrors = {host_of(broken), host_of(good) + "/hub-cache"};
  Client c(o, Keychain::parse("{}", "/cfg.json"), log.logger());
  auto ref = parse_reference("busybox:1.36");
  auto cands = c.pull_candidates(ref);
  ASSERT_EQ(cands.size(), 3u);
  EXPECT_EQ(cands[0].repo_str(), host_of(broken) + "/library/busybox");
  EXPECT_EQ(cands[1].repo_str(), host_of(good) + "/hub-cache/library/busybox");
  EXPECT_EQ(cands[2].repo_str(), "index.docker.io/library/busybox");
  auto m = c.get_manifest(ref);
  EXPECT_EQ(m.bytes, kManifest);
  EXPECT_EQ(m.source.registry, host_of(good));
  auto reqs = good.requests();
  EXPECT_EQ(reqs.back().target, "/v2/hub-cache/library/busybox/manifests/1.36");

  // Mirrors apply to Docker Hub only; registry_map to the registry named.
  EXPECT_EQ(c.pull_candidates(parse_reference("quay.io/x/y")).size(), 1u);
  Options m2 = fast_options();
  m2.registry_map["quay.io"] = {host_of(good)};
  m2.skip_default_registry_fallback = true;
  Client c2(m2, Keychain::parse("{}", "/cfg.json"), log.logger());
  auto only = c2.pull_candidates(parse_reference("quay.io/x/y:1"));
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(only[0].str(), host_of(good) + "/x/y:1");
}

TEST(FakeRegistry, BlobRedirectToStorageDropsCredentialsAndIsVerified) {
  std::string blob = "layer bytes from storage";
  std::string digest = "sha256:" + digest::sha256_hex(blob);
  int port = 0;
  TestServer srv([&](const SeenRequest& r) {
    if (r.target.rfind("/storage/", 0) == 0) return Reply{200, {}, blob};
    if (!r.has("authorization")) return Reply{401, {{"WWW-Authenticate", "Basic realm=\"x\""}}, ""};
    if (is_ping(r)) return Reply{200, {}, "{}"};
    // "localhost" is another origin than 127.0.0.1 for the client.
    return Reply{307, {{"Location", "http://localhost:" + std::to_string(port) + "/storage/blob?sig=abc"}}, ""};
  });
  port = srv.port();
  CapturedLog log;
  auto kc = Keychain::parse(R"({"auths":{")" + host_of(srv) + R"(":{"username":"u","password":"p"}}})", "/cfg.json");
  Client c(fast_options(), kc, log.logger());
  image::Descriptor d;
  d.digest = digest;
  d.size = static_cast<std::int64_t>(blob.size());
  EXPECT_EQ(c.fetch_blob_bytes(parse_reference(host_of(srv) + "/app"), d), blob);
  auto reqs = srv.requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().target, "/storage/blob?sig=abc");
  EXPECT_FALSE(reqs.back().has("authorization"));

  // Wrong size in the descriptor: refused.
  d.size += 1;
  EXPECT_THROW(c.fetch_blob_bytes(parse_reference(host_of(srv) + "/app"), d), IoError);
}

TEST(FakeRegistry, BlobRetryDoesNotRedeliverBytes) {
  std::string blob(200000, 'q');
  for (std::size_t i = 0; i < blob.size(); ++i) blob[i] = static_cast<char>('a' + i % 26);
  std::string digest = "sha256:" + digest::sha256_hex(blob);
  std::atomic<int> hits{0};
  TestServer srv([&](const SeenRequest& r) {
    if (is_ping(r)) return Reply{200, {}, "{}"};
    // First answer promises the whole blob but stops half way.
    if (++hits == 1) return Reply{200, {{"Content-Length", std::to_string(blob.size())}}, blob.substr(0, 100000)};
    return Reply{200, {}, blob};
  });
  CapturedLog log;
  Options o = fast_options();
  o.pull_retry = 1;
  Client c(o, Keychain::parse("{}", "/cfg.json"), log.logger());
  image::Descriptor d;
  d.digest = digest;
  d.size = static_cast<std::int64_t>(blob.size());
  std::string got;
  c.fetch_blob(parse_reference(host_of(srv) + "/app"), d, [&](const char* p, std::size_t n) { got.append(p, n); });
  EXPECT_EQ(hits.load(), 2);
  EXPECT_EQ(got, blob);
}

// The push permission check (an upload session opened and cancelled) and
// immutable-tag refusals.
TEST(ImmutableTags, RecognisedInTheRegistriesWordings) {
  // ECR
  EXPECT_TRUE(is_immutable_tag_refusal(400, R"({"errors":[{"code":"TAG_INVALID","message":"The image tag 'v1' already )"
                                            R"(exists in the 'app' repository and cannot be overwritten because the )"
                                            R"(repository is immutable."}]})"));
  // Harbor
  EXPECT_TRUE(is_immutable_tag_refusal(412, R"({"errors":[{"code":"PRECONDITION","message":"Failed to process request )"
                                            R"(due to 'v1' configured as immutable."}]})"));
  EXPECT_FALSE(is_immutable_tag_refusal(400, R"({"errors":[{"code":"MANIFEST_INVALID","message":"manifest invalid"}]})"));
  EXPECT_FALSE(is_immutable_tag_refusal(500, "immutable"));
}

TEST(PushPermission, OpensAndCancelsAnUploadSession) {
  std::mutex mu;
  std::vector<std::string> seen;
  TestServer srv([&](const SeenRequest& r) {
    std::lock_guard lk(mu);
    seen.push_back(r.method + " " + r.target);
    if (r.target == "/v2/") return Reply{200, {}, "{}"};
    if (r.method == "POST" && r.target == "/v2/team/app/blobs/uploads/")
      return Reply{202, {{"Location", "/v2/team/app/blobs/uploads/abc?_state=x"}}, ""};
    if (r.method == "DELETE") return Reply{204, {}, ""};
    if (r.method == "POST" && r.target == "/v2/team/ro/blobs/uploads/")
      return Reply{403, {}, R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})"};
    return Reply{404, {}, ""};
  });
  CapturedLog log;
  Client c(fast_options(), Keychain::parse("{}", "/cfg.json"), log.logger());
  c.check_push_permission(parse_reference(host_of(srv) + "/team/app:1"));
  {
    std::lock_guard lk(mu);
    EXPECT_NE(std::find(seen.begin(), seen.end(), "DELETE /v2/team/app/blobs/uploads/abc?_state=x"), seen.end());
  }
  try {
    c.check_push_permission(parse_reference(host_of(srv) + "/team/ro:1"));
    FAIL();
  } catch (const StatusError& e) {
    EXPECT_EQ(e.status(), 403);
    std::string m = e.what();
    EXPECT_NE(m.find("checking push permission for " + host_of(srv) + "/team/ro"), std::string::npos) << m;
    EXPECT_NE(m.find("DENIED"), std::string::npos) << m;
  }
}

TEST(ImmutableTags, PushWarnsOnlyWhenAskedTo) {
  const std::string manifest = R"({"schemaVersion":2,"layers":[]})";
  TestServer srv([&](const SeenRequest& r) {
    if (r.target == "/v2/") return Reply{200, {}, "{}"};
    if (r.method == "PUT" && r.target == "/v2/app/manifests/v1")
      return Reply{400, {}, R"({"errors":[{"code":"TAG_INVALID","message":"The image tag 'v1' already exists in )"
                            R"(the 'app' repository and cannot be overwritten because the repository is immutable."}]})"};
    if (r.method == "PUT") return Reply{201, {}, ""};
    return Reply{404, {}, ""};
  });
  CapturedLog log;
  Client c(fast_options(), Keychain::parse("{}", "/cfg.json"), log.logger());
  PushManifest image{{}, "application/vnd.oci.image.manifest.v1+json", manifest};
  std::vector<Reference> dests{parse_reference(host_of(srv) + "/app:v1"), parse_reference(host_of(srv) + "/app:v2")};
  EXPECT_THROW(push_image(c, image, dests, log.logger()), ImmutableTagError);
  auto digests = push_image(c, image, dests, log.logger(), PushSettings{true});
  ASSERT_EQ(digests.size(), 2u);
  EXPECT_EQ(digests[0], digests[1]);
  EXPECT_NE(log.text().find("cannot be overwritten because the repository is immutable"), std::string::npos);
  EXPECT_NE(log.text().find("--push-ignore-immutable-tag-errors"), std::string::npos);
}
