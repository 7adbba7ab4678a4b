#include "context/git_url.h"

#include <gtest/gtest.h>

#include <map>

#include "base/error.h"

using namespace kiln::context;

namespace {

std::function<std::optional<std::string>(std::string_view)> env_of(std::map<std::string, std::string> m) {
  return [m](std::string_view k) -> std::optional<std::string> {
    auto it = m.find(std::string(k));
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST(GitLocation, RepositoryOnlyIsHttpsWithoutRefOrCommit) {
  auto l = parse_git_location("github.com/org/repo.git", false);
  EXPECT_EQ(l.url, "https://github.com/org/repo.git");
  EXPECT_EQ(l.ref, "");
  EXPECT_EQ(l.commit, "");
}

TEST(GitLocation, PlainHttpWhenAsked) {
  EXPECT_EQ(parse_git_location("127.0.0.1:8080/r.git", true).url, "http://127.0.0.1:8080/r.git");
}

TEST(GitLocation, RefAndCommit) {
  auto l = parse_git_location("h/r.git#refs/pull/1/head#ABCDEF0123", false);
  EXPECT_EQ(l.url, "https://h/r.git");
  EXPECT_EQ(l.ref, "refs/pull/1/head");
  EXPECT_EQ(l.commit, "abcdef0123");
}

TEST(GitLocation, EmptyRefWithCommitMeansDefaultBranch) {
  auto l = parse_git_location("h/r.git##0123abcd", false);
  EXPECT_EQ(l.ref, "");
  EXPECT_EQ(l.commit, "0123abcd");
}

TEST(GitLocation, UserinfoIsTakenOutOfTheUrl) {
  auto l = parse_git_location("al%40ice:p%3Ass@h:8443/r.git#main", false);
  EXPECT_EQ(l.url, "https://h:8443/r.git");
  EXPECT_EQ(l.username, "al@ice");
  EXPECT_EQ(l.password, "p:ss");
  EXPECT_EQ(l.ref, "main");
}

TEST(GitLocation, RejectsBadInputNamingTheContextWithoutPassword) {
  EXPECT_THROW(parse_git_location("", false), kiln::UsageError);
  EXPECT_THROW(parse_git_location("hostonly", false), kiln::UsageError);
  EXPECT_THROW(parse_git_location("h/", false), kiln::UsageError);
  EXPECT_THROW(parse_git_location("h/r#a#b#c", false), kiln::UsageError);
  EXPECT_THROW(parse_git_location("h/r#main#xyz123", false), kiln::UsageError);
  EXPECT_THROW(parse_git_location("h/r#main#abc", false), kiln::UsageError);  // too short
  EXPECT_THROW(parse_git_location("h/r#main#" + std::string(41, 'a'), false), kiln::UsageError);
  EXPECT_THROW(parse_git_location("h/r e.git", false), kiln::UsageError);
  try {
    parse_git_location("u:s3cret@h/r#main#nothex!", false);
    FAIL();
  } catch (const kiln::UsageError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("git://h/r"), std::string::npos) << m;
    EXPECT_EQ(m.find("s3cret"), std::string::npos) << m;
  }
}

TEST(GitPullMethod, HttpOrHttps) {
  EXPECT_FALSE(plain_http_pull(std::nullopt));
  EXPECT_FALSE(plain_http_pull(std::string()));
  EXPECT_FALSE(plain_http_pull(std::string("https")));
  EXPECT_TRUE(plain_http_pull(std::string("http")));
  EXPECT_TRUE(plain_http_pull(std::string("HTTP")));
  EXPECT_THROW(plain_http_pull(std::string("ssh")), kiln::UsageError);
}

TEST(GitFlags, KanikoKeysCommaSeparatedAndRepeated) {
  auto f = parse_git_flags({"branch=dev,single-branch=true", "recurse-submodules=true", "insecure-skip-tls=false"});
  EXPECT_EQ(f.branch, "dev");
  EXPECT_TRUE(f.single_branch);
  EXPECT_TRUE(f.recurse_submodules);
  EXPECT_FALSE(f.insecure_skip_tls);
  auto d = parse_git_flags({});
  EXPECT_EQ(d.branch, "");
  EXPECT_FALSE(d.single_branch || d.recurse_submodules || d.insecure_skip_tls);
  EXPECT_TRUE(parse_git_flags({"insecure-skip-tls=1"}).insecure_skip_tls);
}

TEST(GitFlags, DepthIsAWholeNumberOfCommitsAndZeroByDefault) {
  EXPECT_EQ(parse_git_flags({}).depth, 0);
  EXPECT_EQ(parse_git_flags({"depth=1"}).depth, 1);
  EXPECT_EQ(parse_git_flags({"branch=dev,depth=50,single-branch=true"}).depth, 50);
  EXPECT_EQ(parse_git_flags({"depth=0"}).depth, 0);
  EXPECT_EQ(parse_git_flags({"depth=3", "depth=7"}).depth, 7);  // the last one wins, as for every key
  EXPECT_EQ(parse_git_flags({"depth=2147483647"}).depth, 2147483647);
}

TEST(GitFlags, BadDepthsAreRefusedNamingTheFlag) {
  for (const char* bad : {"depth=-1", "depth=abc", "depth=", "depth=1.5", "depth=+3", "depth= 2", "depth=1e3",
                          "depth=2147483648", "depth=99999999999999999999"}) {
    try {
      parse_git_flags({bad});
      ADD_FAILURE() << bad << " was accepted";
    } catch (const kiln::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("--git ") + bad + ":"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("whole number"), std::string::npos) << e.what();
    }
  }
}

TEST(GitFlags, RejectsUnknownKeysAndBadBooleans) {
  EXPECT_THROW(parse_git_flags({"shallow=1"}), kiln::UsageError);
  EXPECT_THROW(parse_git_flags({"branch"}), kiln::UsageError);
  EXPECT_THROW(parse_git_flags({"single-branch=yes please"}), kiln::UsageError);
}

TEST(GitRef, UrlRefElseBranchFlagAndConflictIsAnError) {
  GitLocation l;
  l.url = "https://h/r";
  GitFlags f;
  EXPECT_EQ(effective_ref(l, f), "");
  f.branch = "dev";
  EXPECT_EQ(effective_ref(l, f), "dev");
  l.ref = "dev";
  EXPECT_EQ(effective_ref(l, f), "dev");
  l.ref = "main";
  EXPECT_THROW(effective_ref(l, f), kiln::UsageError);
  f.branch = "";
  EXPECT_EQ(effective_ref(l, f), "main");
}

TEST(GitRef, ShortNamesAreBranchesThenTags) {
  EXPECT_EQ(candidate_refs("main"), (std::vector<std::string>{"refs/heads/main", "refs/tags/main"}));
  EXPECT_EQ(candidate_refs("feature/x"), (std::vector<std::string>{"refs/heads/feature/x", "refs/tags/feature/x"}));
  EXPECT_EQ(candidate_refs("refs/pull/1/head"), (std::vector<std::string>{"refs/pull/1/head"}));
}

TEST(GitCredentials, UsernamePassword) {
  GitLocation l;
  auto c = git_credentials(l, env_of({{"GIT_USERNAME", "u"}, {"GIT_PASSWORD", "p"}}));
  EXPECT_EQ(c.username, "u");
  EXPECT_EQ(c.password, "p");
  EXPECT_TRUE(c.present());
  EXPECT_FALSE(git_credentials(l, env_of({})).present());
  EXPECT_FALSE(git_credentials(l, nullptr).present());
}

TEST(GitCredentials, TokenIsThePasswordWithUsernameOrPlaceholder) {
  GitLocation l;
  auto c = git_credentials(l, env_of({{"GIT_TOKEN", "t0k"}, {"GIT_PASSWORD", "p"}}));
  EXPECT_EQ(c.username, std::string(kGitTokenUser));
  EXPECT_EQ(c.password, "t0k");
  auto d = git_credentials(l, env_of({{"GIT_TOKEN", "t0k"}, {"GIT_USERNAME", "bot"}}));
  EXPECT_EQ(d.username, "bot");
  EXPECT_EQ(d.password, "t0k");
}

TEST(GitCredentials, UrlUserinfoWins) {
  GitLocation l;
  l.username = "x";
  l.password = "y";
  auto c = git_credentials(l, env_of({{"GIT_TOKEN", "t"}}));
  EXPECT_EQ(c.username, "x");
  EXPECT_EQ(c.password, "y");
}

TEST(GitUrlText, RedactAndAuthority) {
  EXPECT_EQ(redact_url("https://u:p@h:1/r.git"), "https://h:1/r.git");
  EXPECT_EQ(redact_url("https://h/r@x"), "https://h/r@x");  // '@' in the path is not userinfo
  EXPECT_EQ(url_authority("https://u:p@Host:8443/r.git"), "host:8443");
  EXPECT_EQ(url_authority("http://h"), "h");
}

TEST(GitUrlText, ScrubSecrets) {
  std::string m = scrub_secrets("GET https://bob:hunter2@h/r failed; pass hunter2 again", {"hunter2", ""});
  EXPECT_EQ(m.find("hunter2"), std::string::npos) << m;
  EXPECT_NE(m.find("https://h/r"), std::string::npos) << m;
  EXPECT_EQ(m.find("bob"), std::string::npos) << m;
}
