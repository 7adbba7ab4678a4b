// Bearer token auth against the real docker-registry: the registry is
// configured with auth.token and trusts a CA; the test runs a small token
// server that checks Basic credentials and signs RS256 JWTs (with
// `openssl dgst -sha256 -sign`) using a key whose certificate that CA issued,
// sent in the JWT header's x5c.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>

#include "../http/test_server.h"
#include "base/error.h"
#include "registry/base64.h"
#include "registry/client.h"
#include "registry/status_error.h"
#include "registry_server.h"
#include "test_support.h"

using namespace kiln;
using namespace kiln::registry;
using kiln::testing::CapturedLog;
using kiln::testing::RegistryServer;
using kiln::testing::Reply;
using kiln::testing::SeenRequest;
using kiln::testing::TempDir;
using kiln::testing::TestServer;

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace {

std::string b64url(std::string_view s) {
  std::string b = base64_encode(s);
  for (auto& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!b.empty() && b.back() == '=') b.pop_back();
  return b;
}

std::string read_file(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), {});
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

class TokenIssuer {
 public:
  explicit TokenIssuer(const TempDir& d) : dir_(d) {
    std::string p = d.str();
    kiln::testing::sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout " + p + "/tokca.key -out " + p +
                      "/tokca.pem -days 2 -subj /CN=kiln-token-ca");
    kiln::testing::sh("openssl req -newkey rsa:2048 -nodes -keyout " + p + "/signer.key -out " + p +
                      "/signer.csr -subj /CN=kiln-token-signer");
    kiln::testing::sh("openssl x509 -req -in " + p + "/signer.csr -CA " + p + "/tokca.pem -CAkey " + p +
                      "/tokca.key -CAcreateserial -days 2 -out " + p + "/signer.pem");
    kiln::testing::sh("openssl x509 -in " + p + "/signer.pem -outform DER -out " + p + "/signer.der");
    x5c_ = base64_encode(read_file(d.str("signer.der")));
  }
  std::string bundle() const { return dir_.str("tokca.pem"); }

  // A JWT granting exactly the requested repository scopes.
  std::string issue(const std::string& subject, const std::vector<std::string>& scopes) {
    std::lock_guard lk(mu_);
    long now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string access;
    for (const auto& s : scopes) {
      // repository:NAME:ACTIONS
      auto first = s.find(':'), last = s.rfind(':');
      if (first == std::string::npos || first == last) continue;
      std::string name = s.substr(first + 1, last - first - 1);
      std::string actions, list = s.substr(last + 1);
      std::stringstream ss(list);
      for (std::string a; std::getline(ss, a, ',');) actions += (actions.empty() ? "\"" : ",\"") + a + "\"";
      access += (access.empty() ? "" : ",") + std::string("{\"type\":\"repository\",\"name\":\"") + name +
                "\",\"actions\":[" + actions + "]}";
    }
    std::string header = R"({"typ":"JWT","alg":"RS256","x5c":[")" + x5c_ + R"("]})";
    std::string claims = R"({"iss":"kiln-test-issuer","sub":")" + subject + R"(","aud":"kiln-test-service","exp":)" +
                         std::to_string(now + 300) + R"(,"nbf":)" + std::to_string(now - 10) + R"(,"iat":)" +
                         std::to_string(now) + R"(,"jti":"j)" + std::to_string(++serial_) + R"(","access":[)" + access + "]}";
    std::string signing_input = b64url(header) + "." + b64url(claims);
    std::ofstream(dir_.str("input")) << signing_input;
    kiln::testing::sh("openssl dgst -sha256 -sign " + dir_.str("signer.key") + " -out " + dir_.str("sig") + " " +
                      dir_.str("input"));
    return signing_input + "." + b64url(read_file(dir_.str("sig")));
  }

 private:
  const TempDir& dir_;
  std::string x5c_;
  std::mutex mu_;
  int serial_ = 0;
};

// A docker-registry that trusts `issuer`, and the token server it sends
// clients to: Basic alice:t0ken-pass gets a JWT for exactly the scopes asked
// for, anything else a 401. Every token request is recorded.
class TokenAuthRegistry {
 public:
  explicit TokenAuthRegistry(TokenIssuer& issuer)
      : issuer_(issuer),
        tokens_([this](const SeenRequest& r) { return answer(r); }),
        reg_(RegistryServer::Config{.token_realm = tokens_.url("/token"),
                                    .token_service = "kiln-test-service",
                                    .token_issuer = "kiln-test-issuer",
                                    .token_rootcerts = issuer.bundle()}) {}

  std::string host() const { return reg_.host(); }
  // The request targets (path and query) the token server saw.
  std::vector<std::string> targets() const {
    std::lock_guard lk(mu_);
    return targets_;
  }
  // Every scope asked for, good credentials or not.
  std::vector<std::string> scopes() const {
    std::lock_guard lk(mu_);
    return scopes_;
  }

 private:
  Reply answer(const SeenRequest& r) {
    std::lock_guard lk(mu_);
    targets_.push_back(r.target);
    std::vector<std::string> scopes;
    std::string q = r.target.substr(r.target.find('?') + 1);
    std::stringstream ss(q);
    for (std::string kv; std::getline(ss, kv, '&');)
      if (kv.rfind("scope=", 0) == 0) scopes.push_back(url_decode(kv.substr(6)));
    scopes_.insert(scopes_.end(), scopes.begin(), scopes.end());
    if (!r.has("authorization") || r.headers.at("authorization") != good_auth_)
      return Reply{401, {}, R"({"details":"invalid credentials"})"};
    return Reply{200, {{"Content-Type", "application/json"}},
                 R"({"token":")" + issuer_.issue("alice", scopes) + R"(","expires_in":300})"};
  }

  TokenIssuer& issuer_;
  const std::string good_auth_ = "Basic " + base64_encode("alice:t0ken-pass");
  mutable std::mutex mu_;
  std::vector<std::string> targets_, scopes_;
  TestServer tokens_;  // after what its handler uses: requests may come as soon as it exists
  RegistryServer reg_;
};

}  // namespace

TEST(RegistryBearer, PushAndPullWithTokensFromATokenServer) {
  TempDir dir;
  TokenIssuer issuer(dir);
  TokenAuthRegistry reg(issuer);
  CapturedLog log;
  Options o;
  o.ca_file.clear();
  o.retry_initial_delay = std::chrono::milliseconds(10);
  auto kc = Keychain::parse(R"({"auths":{")" + reg.host() + R"(":{"username":"alice","password":"t0ken-pass"}}})",
                            "/test/config.json");
  Client c(o, kc, log.logger());
  auto repo = parse_reference(reg.host() + "/kiln/app:v1");
  std::string cfg = R"({"os":"linux","architecture":"amd64"})";
  std::string layer(50000, 'L');
  auto cd = kiln::testing::describe(cfg, image::media::kOciConfig);
  auto ld = kiln::testing::describe(layer, image::media::kOciLayerGzip);
  c.push_blob(repo, cd, kiln::testing::opener(cfg));
  c.push_blob(repo, ld, kiln::testing::opener(layer));
  std::string manifest = kiln::testing::manifest_json(cd, ld);
  std::string digest = c.put_manifest(repo, image::media::kOciManifest, manifest);
  EXPECT_EQ(c.get_manifest(repo).bytes, manifest);
  EXPECT_EQ(c.get_manifest(with_digest(repo, digest)).bytes, manifest);
  EXPECT_EQ(c.fetch_blob_bytes(repo, ld), layer);

  // Mount into another repository needs pull on the source as well.
  auto repo2 = parse_reference(reg.host() + "/kiln/copy:v1");
  c.push_blob(repo2, ld, kiln::testing::opener("unused"), {repo});
  EXPECT_NE(log.text().find("Mounted " + ld.digest), std::string::npos) << log.text();
  {
    const auto seen_scopes = reg.scopes();
    auto has = [&](const std::string& s) { return std::find(seen_scopes.begin(), seen_scopes.end(), s) != seen_scopes.end(); };
    EXPECT_TRUE(has("repository:kiln/app:pull,push"));
    EXPECT_TRUE(has("repository:kiln/copy:pull,push"));
    EXPECT_TRUE(has("repository:kiln/app:pull"));
    // Tokens are cached: a handful of scope sets, not one call per request.
    EXPECT_LE(reg.targets().size(), 6u);
  }
  std::string logs = log.text();
  EXPECT_EQ(logs.find("t0ken-pass"), std::string::npos);
  EXPECT_EQ(logs.find("eyJ"), std::string::npos);  // no JWT in the logs

  // Wrong password: the token server refuses, the message says where to look.
  auto bad = Keychain::parse(R"({"auths":{")" + reg.host() + R"(":{"username":"alice","password":"nope-nope"}}})",
                             "/test/config.json");
  Client c2(o, bad, log.logger());
  try {
    c2.get_manifest(repo);
    FAIL();
  } catch (const StatusError& e) {
    std::string m = e.what();
    EXPECT_EQ(e.status(), 401);
    EXPECT_NE(m.find("check the credentials for " + reg.host()), std::string::npos) << m;
    EXPECT_EQ(m.find("nope-nope"), std::string::npos) << m;
  }
}

// executor login's check: no repository scope, so the token server is where
// a wrong password shows; the registry then accepts GET /v2/ with the token.
TEST(RegistryBearer, CheckLoginAsksTheTokenServer) {
  TempDir dir;
  TokenIssuer issuer(dir);
  TokenAuthRegistry reg(issuer);
  CapturedLog log;
  Options o;
  o.ca_file.clear();
  auto keychain = [&](const std::string& pass) {
    return Keychain::parse(R"({"auths":{")" + reg.host() + R"(":{"username":"alice","password":")" + pass + R"("}}})",
                           "login");
  };
  Client good(o, keychain("t0ken-pass"), log.logger());
  EXPECT_TRUE(good.check_login(reg.host()));
  {
    const auto targets = reg.targets();
    ASSERT_FALSE(targets.empty());
    EXPECT_EQ(targets.back().find("scope="), std::string::npos) << targets.back();
  }
  Client bad(o, keychain("nope-nope"), log.logger());
  try {
    bad.check_login(reg.host());
    FAIL() << "a wrong password must be refused";
  } catch (const StatusError& e) {
    EXPECT_EQ(e.status(), 401);
    EXPECT_EQ(std::string(e.what()).find("nope-nope"), std::string::npos) << e.what();
  }
  EXPECT_EQ(log.text().find("t0ken-pass"), std::string::npos);
}
