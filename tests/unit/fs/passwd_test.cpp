#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "fs/passwd.h"
#include "temp_root.h"

using namespace kiln::fs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace {
const char* kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# comment\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "broken line\n"
    "app:x:1000:1000:App:/home/app:/bin/sh\r\n"
    "nohome:x:1001:50:::/bin/sh\n";
const char* kGroup =
    "root:x:0:\n"
    "wheel:x:10:root,app\n"
    "app:x:1000:\n"
    "docker:x:999:app\n"
    "staff:x:50:\n";
}  // namespace

TEST(ResolveUser, ByName) {
  auto u = resolve_user("app", kPasswd, kGroup);
  EXPECT_EQ(u.uid, 1000u);
  EXPECT_EQ(u.gid, 1000u);
  EXPECT_EQ(u.home, "/home/app");
  EXPECT_EQ(u.name, "app");
  EXPECT_THAT(u.supplementary, ElementsAre(10u, 999u));
}

TEST(ResolveUser, ByUidFoundAndNotFound) {
  auto u = resolve_user("1", kPasswd, kGroup);
  EXPECT_EQ(u.uid, 1u);
  EXPECT_EQ(u.gid, 1u);
  EXPECT_EQ(u.home, "/usr/sbin");
  auto n = resolve_user("4242", "", "");
  EXPECT_EQ(n.uid, 4242u);
  EXPECT_EQ(n.gid, 0u);
  EXPECT_EQ(n.home, "/");
  EXPECT_THAT(n.supplementary, IsEmpty());
}

TEST(ResolveUser, WithGroup) {
  EXPECT_EQ(resolve_user("app:docker", kPasswd, kGroup).gid, 999u);
  EXPECT_EQ(resolve_user("app:77", kPasswd, kGroup).gid, 77u);
  auto u = resolve_user("5:6", "", "");
  EXPECT_EQ(u.uid, 5u);
  EXPECT_EQ(u.gid, 6u);
  EXPECT_EQ(resolve_user("1000:wheel", kPasswd, kGroup).gid, 10u);
  EXPECT_EQ(resolve_user("nohome", kPasswd, kGroup).home, "/");
}

TEST(ResolveUser, UnknownNamesAreErrors) {
  try {
    resolve_user("ghost", kPasswd, kGroup);
    FAIL();
  } catch (const kiln::UsageError& e) {
    EXPECT_STREQ(e.what(), "unable to find user ghost: no matching entries in passwd file");
  }
  EXPECT_THROW(resolve_user("app:nogroup", kPasswd, kGroup), kiln::UsageError);
  EXPECT_THROW(resolve_user("", kPasswd, kGroup), kiln::UsageError);
  EXPECT_THROW(resolve_user("app:", kPasswd, kGroup), kiln::UsageError);
}

TEST(ResolveChown, NamedUserAloneTakesItsPrimaryGroupNumericOneGidEqualsUid) {
  // BuildKit (checked with docker 20.10): --chown=name -> passwd uid:gid,
  // --chown=uid -> uid:uid even when passwd gives that uid another group.
  auto o = resolve_chown("daemon", kPasswd, kGroup);
  EXPECT_EQ(o.uid, 1u);
  EXPECT_EQ(o.gid, 1u);
  o = resolve_chown("nohome", kPasswd, kGroup);
  EXPECT_EQ(o.uid, 1001u);
  EXPECT_EQ(o.gid, 50u);
  o = resolve_chown("1001", kPasswd, kGroup);
  EXPECT_EQ(o.gid, 1001u);
  o = resolve_chown("10", "", "");
  EXPECT_EQ(o.gid, 10u);
  o = resolve_chown(":staff", kPasswd, kGroup);
  EXPECT_EQ(o.uid, 0u);
  EXPECT_EQ(o.gid, 50u);
  o = resolve_chown("root", "", "");
  EXPECT_EQ(o.uid, 0u);
  EXPECT_EQ(o.gid, 0u);
  // A name that is only a group is not a user.
  EXPECT_THROW(resolve_chown("staff", kPasswd, kGroup), kiln::UsageError);
  EXPECT_THROW(resolve_chown(":", kPasswd, kGroup), kiln::UsageError);
  o = resolve_chown("app:staff", kPasswd, kGroup);
  EXPECT_EQ(o.uid, 1000u);
  EXPECT_EQ(o.gid, 50u);
  EXPECT_THROW(resolve_chown("ghost", kPasswd, kGroup), kiln::UsageError);
}

TEST(ResolveUser, RootNeedsNoPasswdEntryOtherNamesDo) {
  auto u = resolve_user("root", "", "");
  EXPECT_EQ(u.uid, 0u);
  EXPECT_EQ(u.gid, 0u);
  EXPECT_EQ(u.home, "/");
  EXPECT_EQ(resolve_user("root", kPasswd, kGroup).home, "/root");
  EXPECT_THROW(resolve_user("staff", kPasswd, kGroup), kiln::UsageError);
  EXPECT_EQ(resolve_user(":staff", kPasswd, kGroup).gid, 50u);
}

TEST(LoadUser, ReadsFilesFromRootAndToleratesMissingOnes) {
  kiln::fs::test::TempRoot r;
  EXPECT_EQ(load_user(r.path(), "12:34").gid, 34u);
  EXPECT_THROW(load_user(r.path(), "app"), kiln::UsageError);
  r.write("etc/passwd", kPasswd);
  r.write("etc/group", kGroup);
  EXPECT_EQ(load_user(r.path(), "app").uid, 1000u);
  EXPECT_EQ(load_chown(r.path(), "app:wheel").gid, 10u);
}
