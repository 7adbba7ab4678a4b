// ADD <git URL> sources in Docker's syntax (context/add_git_url.h).
#include <gtest/gtest.h>

#include "base/error.h"
#include "context/add_git_url.h"

using namespace kiln::context;

TEST(AddGitUrl, GitSourcesAreTellableFromDownloads) {
  EXPECT_TRUE(is_add_git_source("https://github.com/moby/buildkit.git"));
  EXPECT_TRUE(is_add_git_source("https://host/org/repo.git#v1.0:docs"));
  EXPECT_TRUE(is_add_git_source("http://127.0.0.1:8080/app.git/"));
  EXPECT_TRUE(is_add_git_source("HTTPS://host/r.git"));
  EXPECT_TRUE(is_add_git_source("git@github.com:org/repo.git"));
  EXPECT_TRUE(is_add_git_source("git://host/repo.git"));
  EXPECT_FALSE(is_add_git_source("https://host/file.tar.gz"));
  EXPECT_FALSE(is_add_git_source("https://host/file.tar.gz#.git"));
  EXPECT_FALSE(is_add_git_source("src/repo.git"));
}

TEST(AddGitUrl, RefCommitAndSubdirFromTheFragment) {
  auto a = parse_add_git_source("https://host:8443/org/repo.git");
  EXPECT_EQ(a.loc.url, "https://host:8443/org/repo.git");
  EXPECT_EQ(a.loc.ref, "");
  EXPECT_EQ(a.loc.commit, "");
  EXPECT_EQ(a.subdir, "");
  auto b = parse_add_git_source("http://host/repo.git#v1.0:docs/./api/");
  EXPECT_EQ(b.loc.url, "http://host/repo.git");
  EXPECT_EQ(b.loc.ref, "v1.0");
  EXPECT_EQ(b.subdir, "docs/api");
  auto c = parse_add_git_source("https://host/repo.git#0123456789ABCDEF0123456789abcdef01234567");
  EXPECT_EQ(c.loc.ref, "");
  EXPECT_EQ(c.loc.commit, "0123456789abcdef0123456789abcdef01234567") << "a full commit id pins the checkout";
  EXPECT_EQ(parse_add_git_source("https://host/repo.git#0123abc").loc.ref, "0123abc") << "short: a ref name";
  auto d = parse_add_git_source("https://host/repo.git#:sub");
  EXPECT_EQ(d.loc.ref, "");
  EXPECT_EQ(d.subdir, "sub");
  EXPECT_EQ(parse_add_git_source("https://host/repo.git#refs/pull/1/head").loc.ref, "refs/pull/1/head");
}

TEST(AddGitUrl, UserinfoIsKeptOutOfTheUrl) {
  auto a = parse_add_git_source("https://me:p%40ss@host/repo.git#main");
  EXPECT_EQ(a.loc.url, "https://host/repo.git");
  EXPECT_EQ(a.loc.username, "me");
  EXPECT_EQ(a.loc.password, "p@ss");
}

TEST(AddGitUrl, BadSourcesAreRefusedNamingThemWithoutSecrets) {
  auto message = [](const char* src) {
    try {
      parse_add_git_source(src);
    } catch (const kiln::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("git@github.com:org/repo.git").find("https:// (or http://) only"), std::string::npos);
  EXPECT_NE(message("git://host/repo.git").find("ADD git://host/repo.git: "), std::string::npos);
  EXPECT_NE(message("https://host/repo.git#main:../x").find("leaves the repository"), std::string::npos);
  EXPECT_NE(message("https://host/r.git?x=1").find("takes no query"), std::string::npos);
  std::string m = message("https://u:secret@/repo.git");
  EXPECT_NE(m.find("ADD https:///repo.git: "), std::string::npos) << m;
  EXPECT_EQ(m.find("secret"), std::string::npos) << m;
}
