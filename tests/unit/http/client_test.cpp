#include "http/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdlib>
#include <thread>

#include "base/error.h"
#include "http/transport_error.h"
#include "support/silent_server.h"
#include "test_server.h"

// Requests are written with designated initializers; the omitted members
// keep their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace kiln;
using kiln::testing::Reply;
using kiln::testing::SeenRequest;
using kiln::testing::TestServer;

namespace {

log::Logger& quiet_logger() {
  static log::Logger l(log::Logger::Options{log::Level::Error});
  return l;
}

// Makes sure proxy variables from the machine running the tests do not leak
// into tests that talk to 127.0.0.1 directly.
struct ClearProxyEnv {
  ClearProxyEnv() {
    for (const char* v : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"})
      unsetenv(v);
  }
};

}  // namespace

TEST(HttpClient, GetReturnsStatusHeadersAndBody) {
  ClearProxyEnv env;
  TestServer srv([](const SeenRequest& r) {
    if (r.target == "/missing") return Reply{404, {{"Content-Type", "text/plain"}}, "nope"};
    return Reply{200, {{"X-Thing", "Value One"}, {"Docker-Content-Digest", "sha256:abc"}}, "hello"};
  });
  http::Client c({}, quiet_logger());
  auto r = c.perform({.url = srv.url("/v2/")});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("x-thing").value_or(""), "Value One");
  EXPECT_EQ(r.header("docker-content-digest").value_or(""), "sha256:abc");
  EXPECT_FALSE(r.header("X-Thing"));  // lookups use lower-case names
  auto m = c.perform({.url = srv.url("/missing")});
  EXPECT_EQ(m.status, 404);
  EXPECT_EQ(m.body, "nope");
  EXPECT_EQ(srv.requests().at(0).headers.at("user-agent"), "kiln");
}

TEST(HttpClient, SinkGetsOnlySuccessfulBodies) {
  ClearProxyEnv env;
  TestServer srv([](const SeenRequest& r) {
    if (r.target == "/err") return Reply{500, {}, "server broke"};
    return Reply{200, {}, std::string(100000, 'x')};
  });
  http::Client c({}, quiet_logger());
  std::string got;
  auto r = c.perform({.url = srv.url("/blob")}, [&](const char* p, std::size_t n) { got.append(p, n); });
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(got.size(), 100000u);
  EXPECT_TRUE(r.body.empty());
  got.clear();
  auto e = c.perform({.url = srv.url("/err")}, [&](const char* p, std::size_t n) { got.append(p, n); });
  EXPECT_EQ(e.status, 500);
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(e.body, "server broke");
}

TEST(HttpClient, SinkExceptionAbortsTransferAndPropagates) {
  ClearProxyEnv env;
  TestServer srv([](const SeenRequest&) { return Reply{200, {}, std::string(1 << 20, 'y')}; });
  http::Client c({}, quiet_logger());
  EXPECT_THROW(c.perform({.url = srv.url("/blob")}, [](const char*, std::size_t) { throw std::logic_error("enough"); }),
               std::logic_error);
}

TEST(HttpClient, UploadsBodyReaderAndEmptyPost) {
  ClearProxyEnv env;
  TestServer srv([](const SeenRequest& r) { return Reply{201, {}, r.method + ":" + r.body}; });
  http::Client c({}, quiet_logger());
  auto put = c.perform({.method = "PUT", .url = srv.url("/m"), .headers = {"Content-Type: application/json"}, .body = "{}"});
  EXPECT_EQ(put.body, "PUT:{}");

  std::string data(300000, 'z');
  std::size_t off = 0;
  http::Request patch{.method = "PATCH", .url = srv.url("/u")};
  patch.reader = [&](char* buf, std::size_t cap) {
    std::size_t k = std::min(cap, data.size() - off);
    std::memcpy(buf, data.data() + off, k);
    off += k;
    return k;
  };
  patch.reader_size = static_cast<std::int64_t>(data.size());
  auto p = c.perform(patch);
  EXPECT_EQ(p.body, "PATCH:" + data);

  auto post = c.perform({.method = "POST", .url = srv.url("/uploads/")});
  EXPECT_EQ(post.body, "POST:");
  auto reqs = srv.requests();
  EXPECT_EQ(reqs.at(2).headers.at("content-length"), "0");
  EXPECT_FALSE(reqs.at(1).has("expect"));
}

TEST(HttpClient, RedirectKeepsAuthorizationOnSameOriginOnly) {
  ClearProxyEnv env;
  int port = 0;
  TestServer srv([&](const SeenRequest& r) {
    // 127.0.0.1 and localhost are the same socket but different origins.
    if (r.target == "/same") return Reply{307, {{"Location", "/final-same"}}, ""};
    if (r.target == "/other")
      return Reply{307, {{"Location", "http://localhost:" + std::to_string(port) + "/final-other?X-Sig=secret"}}, ""};
    return Reply{200, {}, "ok"};
  });
  port = srv.port();
  http::Client c({}, quiet_logger());
  auto a = c.perform({.url = srv.url("/same"), .headers = {"Authorization: Bearer tok123"}});
  EXPECT_EQ(a.status, 200);
  auto b = c.perform({.url = srv.url("/other"), .headers = {"Authorization: Bearer tok123"}});
  EXPECT_EQ(b.status, 200);
  EXPECT_NE(b.effective_url.find("localhost"), std::string::npos);
  auto reqs = srv.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[1].target, "/final-same");
  EXPECT_EQ(reqs[1].headers.at("authorization"), "Bearer tok123");
  EXPECT_EQ(reqs[3].target, "/final-other?X-Sig=secret");
  EXPECT_FALSE(reqs[3].has("authorization"));

  // Without following, the 307 itself comes back.
  auto n = c.perform({.url = srv.url("/same"), .follow_redirects = false});
  EXPECT_EQ(n.status, 307);
}

TEST(HttpClient, ConnectionRefusedIsTransportErrorNamingTheUrl) {
  ClearProxyEnv env;
  int port;
  { TestServer tmp([](const SeenRequest&) { return Reply{}; }); port = tmp.port(); }
  http::Client c({}, quiet_logger());
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/v2/?token=s3cret";
  try {
    c.perform({.url = url});
    FAIL() << "expected a TransportError";
  } catch (const http::TransportError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("GET http://127.0.0.1:" + std::to_string(port) + "/v2/"), std::string::npos) << m;
    EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
  }
}

// libcurl reads http_proxy/no_proxy itself; this checks nothing in the client
// overrides that.
TEST(HttpClient, HonoursProxyEnvironment) {
  ClearProxyEnv env;
  TestServer proxy([](const SeenRequest& r) { return Reply{200, {}, "via proxy " + r.target}; });
  setenv("http_proxy", proxy.url().c_str(), 1);
  http::Client c({}, quiet_logger());
  auto r = c.perform({.url = "http://registry.kiln-test.invalid/v2/"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "via proxy http://registry.kiln-test.invalid/v2/");

  // no_proxy exempts a host: the direct connection to a second server works
  // while the proxy sees nothing new.
  TestServer direct([](const SeenRequest&) { return Reply{200, {}, "direct"}; });
  setenv("no_proxy", "127.0.0.1", 1);
  auto d = c.perform({.url = direct.url("/x")});
  EXPECT_EQ(d.body, "direct");
  EXPECT_EQ(proxy.requests().size(), 1u);
  unsetenv("http_proxy");
  unsetenv("no_proxy");
}

TEST(HttpClient, ConcurrentRequestsFromManyThreads) {
  ClearProxyEnv env;
  TestServer srv([](const SeenRequest& r) { return Reply{200, {}, r.target}; });
  http::Client c({}, quiet_logger());
  std::atomic<int> ok{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 4; ++i)
    ts.emplace_back([&, i] {
      for (int j = 0; j < 10; ++j) {
        std::string path = "/t" + std::to_string(i) + "-" + std::to_string(j);
        if (c.perform({.url = srv.url(path)}).body == path) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST(HttpClient, PerHostTlsSelection) {
  http::Client::Options o;
  o.tls.ca_file = "/default.pem";
  o.per_host["reg.example:5000"].verify = false;
  o.per_host["other.example"].ca_file = "/other.pem";
  http::Client c(o, quiet_logger());
  EXPECT_FALSE(c.tls_for("https://reg.example:5000/v2/").verify);
  EXPECT_TRUE(c.tls_for("https://reg.example/v2/").verify);
  EXPECT_EQ(c.tls_for("https://other.example:8443/v2/").ca_file, "/other.pem");
  EXPECT_EQ(c.tls_for("https://third.example/v2/").ca_file, "/default.pem");
}

// A server that never answers (the kernel completes the handshake for a
// socket that listens but never accepts): only the cancel flag ends the
// request, within about a second of being raised.
TEST(HttpClient, CancelledStopsARequestInProgressAndBeforeItStarts) {
  ClearProxyEnv env;
  kiln::testing::SilentServer silent;
  std::string url = "http://" + silent.host() + "/v2/";

  std::atomic<bool> stop{false};
  http::Client::Options o;
  o.cancelled = [&] { return stop.load(); };
  http::Client c(o, quiet_logger());
  std::thread raiser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop = true;
  });
  auto t0 = std::chrono::steady_clock::now();
  try {
    c.perform({.url = url});
    ADD_FAILURE() << "a request to a silent server returned";
  } catch (const http::Cancelled& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted"), std::string::npos) << e.what();
  }
  raiser.join();
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_LT(took, 5.0);  // libcurl asks at least once a second; the low-speed limit is 60 s
  // Once raised, nothing starts: not even a request to a live server.
  TestServer srv([](const SeenRequest&) { return Reply{200, {}, "hello"}; });
  EXPECT_THROW(c.perform({.url = srv.url("/v2/")}), http::Cancelled);
  EXPECT_TRUE(srv.requests().empty());
}
