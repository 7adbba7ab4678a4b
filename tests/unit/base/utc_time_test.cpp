#include "base/utc_time.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace kiln {
namespace {

// 1440938160 is 2015-08-30 12:36:00 UTC (the AWS SigV4 documentation's example time).
TEST(UtcTime, Rfc3339) { EXPECT_EQ(rfc3339_utc(1440938160), "2015-08-30T12:36:00Z"); }

TEST(UtcTime, AnyFormat) { EXPECT_EQ(utc_time(1440938160, "%Y%m%dT%H%M%SZ"), "20150830T123600Z"); }

TEST(UtcTime, EpochStart) { EXPECT_EQ(rfc3339_utc(0), "1970-01-01T00:00:00Z"); }

// The local time zone does not leak in: a SOURCE_DATE_EPOCH build made in
// Tokyo and one made in UTC write the same `created`.
TEST(UtcTime, IgnoresTz) {
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", "Asia/Tokyo", 1);
  tzset();
  std::string got = rfc3339_utc(1440938160);
  if (old) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
  tzset();
  EXPECT_EQ(got, "2015-08-30T12:36:00Z");
}

}  // namespace
}  // namespace kiln
