#include "image/platform.h"

#include <gtest/gtest.h>
#include <sys/utsname.h>

#include "base/error.h"

using namespace kiln;
using namespace kiln::image;

TEST(NativePlatform, MatchesTheMachineItRunsOn) {
  // uname(2) names the CPU the binary runs on (qemu-user reports the
  // emulated one): the compiled-in platform must be that CPU's OCI name.
  utsname u{};
  ASSERT_EQ(uname(&u), 0);
  std::string machine = u.machine;
  Platform running = normalize(Platform{"linux", machine, "", ""});
  Platform native = normalize(native_platform());
  EXPECT_EQ(native.os, "linux");
  EXPECT_EQ(native.architecture, running.architecture) << "uname -m: " << u.machine;
}

TEST(ParsePlatform, EmptyMeansNative) { EXPECT_EQ(parse_platform("", "--custom-platform"), native_platform()); }

TEST(ParsePlatform, OsArchVariant) {
  Platform p = parse_platform("linux/arm/v7", "--custom-platform");
  EXPECT_EQ(p.os, "linux");
  EXPECT_EQ(p.architecture, "arm");
  EXPECT_EQ(p.variant, "v7");
  EXPECT_EQ(parse_platform("linux/s390x", "x").str(), "linux/s390x");
}

TEST(ParsePlatform, MissingSlashNamesTheFlag) {
  try {
    parse_platform("arm64", "FROM --platform");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("FROM --platform 'arm64'"), std::string::npos) << e.what();
  }
}
