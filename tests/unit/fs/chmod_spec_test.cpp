#include <gtest/gtest.h>

#include "base/error.h"
#include "fs/chmod_spec.h"

using kiln::fs::ChmodSpec;

namespace {
mode_t file(const char* spec, mode_t m) { return ChmodSpec::parse(spec).apply(m, false); }
mode_t dir(const char* spec, mode_t m) { return ChmodSpec::parse(spec).apply(m, true); }
}  // namespace

TEST(ChmodSpec, OctalReplacesEveryPermissionBit) {
  EXPECT_EQ(file("755", 04600), 0755u);
  EXPECT_EQ(file("0644", 0777), 0644u);
  EXPECT_EQ(file("4755", 0), 04755u);
  EXPECT_EQ(dir("0700", 02775), 0700u);
  EXPECT_TRUE(ChmodSpec::parse("0755").octal());
}

TEST(ChmodSpec, SymbolicSetsAddsAndRemovesPerClass) {
  EXPECT_EQ(file("u=rwx,g=rx,o=", 0644), 0750u);
  EXPECT_EQ(file("+x", 0644), 0755u);  // no who letter: all classes (no umask)
  EXPECT_EQ(file("go-w", 0666), 0644u);
  EXPECT_EQ(file("a=r", 0777), 0444u);
  EXPECT_EQ(file("u+x-w", 0644), 0544u);
  EXPECT_EQ(file("g=u", 0740), 0770u);
  EXPECT_EQ(file("u+s,g+s", 0755), 06755u);
  EXPECT_EQ(file("+t", 0755), 01755u);
  EXPECT_EQ(file("u=rw", 04755), 0655u);  // "=" on a file clears its setuid bit
  EXPECT_FALSE(ChmodSpec::parse("u+x").octal());
}

TEST(ChmodSpec, CapitalXOnlyForDirectoriesAndExecutables) {
  EXPECT_EQ(file("a+rX,go-w", 0600), 0644u);
  EXPECT_EQ(file("a+rX,go-w", 0700), 0755u);
  EXPECT_EQ(file("a+rX", 0610), 0755u);  // executable by the group: X applies
  EXPECT_EQ(dir("a+rX,go-w", 0700), 0755u);
  EXPECT_EQ(dir("a+rX,go-w", 0600), 0755u);
  EXPECT_EQ(dir("u=rwx,go=", 02775), 02700u);  // a directory keeps setgid under "="
}

TEST(ChmodSpec, RefusesWhatChmodRefuses) {
  for (const char* bad : {"", "888", "07777777", "u", "u+x,", "x+u", "u+x;g+w", "rwx", "+q", ",u+x"}) {
    EXPECT_THROW(ChmodSpec::parse(bad), kiln::UsageError) << bad;
  }
}
