#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "http/client.h"
#include "http/transport_error.h"
#include "registry/platform_match.h"
#include "registry/progress.h"
#include "registry/retry.h"
#include "registry/status_error.h"
#include "test_support.h"

using namespace kiln;
using namespace kiln::registry;

TEST(Progress, HumanBytes) {
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(12300000), "12.3 MB");
  EXPECT_EQ(human_bytes(50000000), "50.0 MB");
  EXPECT_EQ(human_bytes(1500000000), "1.5 GB");
}

TEST(Progress, PlainLinesAtMostOncePerInterval) {
  kiln::testing::CapturedLog log;
  Progress p(log.logger(), "Pushing", "sha256:0123456789abcdef0123", 50000000, std::chrono::milliseconds(0));
  p.add(12300000);
  Progress quiet(log.logger(), "Pushing", "sha256:ffff", 10, std::chrono::hours(1));
  quiet.add(5);
  std::string t = log.text();
  EXPECT_NE(t.find("Pushing sha256:0123456789ab\xE2\x80\xA6 12.3 MB / 50.0 MB"), std::string::npos) << t;
  EXPECT_EQ(t.find("sha256:ffff"), std::string::npos) << t;
  EXPECT_EQ(t.find('\x1b'), std::string::npos);  // no terminal control codes
  EXPECT_EQ(t.find('\r'), std::string::npos);
}

TEST(PlatformMatch, VariantsAndDefaults) {
  image::Platform amd64{"linux", "amd64", "", ""};
  image::Platform arm64{"linux", "arm64", "", ""};
  image::Platform arm64v8{"linux", "arm64", "v8", ""};
  image::Platform armv7{"linux", "arm", "v7", ""};
  image::Platform armv6{"linux", "arm", "v6", ""};
  image::Platform arm{"linux", "arm", "", ""};
  EXPECT_TRUE(platform_matches(amd64, amd64));
  EXPECT_TRUE(platform_matches(arm64, arm64v8));
  EXPECT_TRUE(platform_matches(arm64v8, arm64));
  EXPECT_TRUE(platform_matches(arm, armv7));
  EXPECT_FALSE(platform_matches(arm, armv6));
  EXPECT_FALSE(platform_matches(armv6, armv7));
  EXPECT_FALSE(platform_matches(amd64, image::Platform{"windows", "amd64", "", ""}));

  std::vector<image::Descriptor> entries(3);
  entries[0].digest = "a";
  entries[0].platform = image::Platform{"unknown", "unknown", "", ""};  // attestation
  entries[1].digest = "b";
  entries[1].platform = armv6;
  entries[2].digest = "c";
  entries[2].platform = armv7;
  EXPECT_EQ(select_platform(entries, arm)->digest, "c");
  EXPECT_EQ(select_platform(entries, armv6)->digest, "b");
  EXPECT_FALSE(select_platform(entries, amd64));
}

TEST(Retry, CountsBackoffAndFinality) {
  kiln::testing::CapturedLog log;
  RetryPolicy p{2, std::chrono::milliseconds(1), std::chrono::milliseconds(4)};
  int calls = 0;
  EXPECT_THROW(with_retry(p, log.logger(), "x", [&](int) {
                 ++calls;
                 throw http::TransportError("GET http://h/v2/: refused", 7);
               }),
               http::TransportError);
  EXPECT_EQ(calls, 3);
  calls = 0;
  EXPECT_THROW(with_retry(p, log.logger(), "x", [&](int) {
                 ++calls;
                 throw StatusError("403", 403);
               }),
               StatusError);
  EXPECT_EQ(calls, 1);
  calls = 0;
  with_retry(p, log.logger(), "x", [&](int i) {
    ++calls;
    if (i < 2) throw StatusError("502", 502);
  });
  EXPECT_EQ(calls, 3);
  // Retry-After is capped by max_delay: 3600 s would otherwise hang here.
  calls = 0;
  auto t0 = std::chrono::steady_clock::now();
  with_retry(p, log.logger(), "x", [&](int i) {
    ++calls;
    if (i == 0) throw StatusError("429", 429, 3600);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(Retry, ASignalCutsTheBackoffShort) {
  kiln::testing::CapturedLog log;
  RetryPolicy p{3, std::chrono::seconds(20), std::chrono::seconds(30)};
  std::atomic<bool> flag{false};
  p.cancelled = [&] { return flag.load(); };
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    flag = true;
  });
  int calls = 0;
  auto t0 = std::chrono::steady_clock::now();
  try {
    with_retry(p, log.logger(), "GET http://h/v2/x/blobs/sha256:ab", [&](int) {
      ++calls;
      throw http::TransportError("GET http://h/v2/: reset", 56);
    });
    ADD_FAILURE() << "no error";
  } catch (const http::Cancelled& e) {
    EXPECT_NE(std::string(e.what()).find("interrupted"), std::string::npos) << e.what();
  }
  setter.join();
  EXPECT_EQ(calls, 1);  // no attempt after the signal
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));  // not the 20 s backoff
}
