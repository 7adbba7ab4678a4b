// Expected results are what Docker's ignore-file reader and pattern matcher
// (moby/patternmatcher) decide for the same patterns and paths.
#include "dockerfile/dockerignore.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"

using kiln::UsageError;
using kiln::dockerfile::always_included;
using kiln::dockerfile::clean_path;
using kiln::dockerfile::ignore_file_candidates;
using kiln::dockerfile::IgnoreMatcher;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace {

bool excl(std::string_view file, std::string_view path) { return IgnoreMatcher::parse(file).excluded(path); }

std::string parse_error(std::string_view file) {
  try {
    IgnoreMatcher::parse(file);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "<no error>";
}

struct Case {
  const char* pattern;
  const char* path;
  bool excluded;
};

void check(const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string("pattern ") + c.pattern + " path " + c.path);
    EXPECT_EQ(excl(c.pattern, c.path), c.excluded);
  }
}

}  // namespace

TEST(CleanPath, BehavesLikeGoFilepathClean) {
  EXPECT_EQ(clean_path(""), ".");
  EXPECT_EQ(clean_path("a//b/./c/"), "a/b/c");
  EXPECT_EQ(clean_path("./a"), "a");
  EXPECT_EQ(clean_path("a/../b"), "b");
  EXPECT_EQ(clean_path("a/.."), ".");
  EXPECT_EQ(clean_path("../a"), "../a");
  EXPECT_EQ(clean_path("../../a/../b"), "../../b");
  EXPECT_EQ(clean_path("/../a"), "/a");
  EXPECT_EQ(clean_path("/"), "/");
  EXPECT_EQ(clean_path("//"), "/");
  EXPECT_EQ(clean_path("a/b/../../.."), "..");
  EXPECT_EQ(clean_path(".a/..b/...c"), ".a/..b/...c");
}

TEST(IgnoreFile, ReadsLinesLikeDocker) {
  auto m = IgnoreMatcher::parse(
      "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n  spaced  \r\n"
      "  # not a comment\n./dot/../clean//me/\n");
  EXPECT_THAT(m.patterns(), ElementsAre("test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path",
                                        "spaced", "# not a comment", "clean/me"));
  EXPECT_TRUE(m.has_exceptions());
  EXPECT_TRUE(m.excluded("# not a comment"));
  EXPECT_FALSE(m.excluded("# this is a comment"));
}

TEST(IgnoreFile, ByteOrderMarkAndEmptyFile) {
  EXPECT_THAT(IgnoreMatcher::parse("\xEF\xBB\xBF#c\nx").patterns(), ElementsAre("x"));
  EXPECT_THAT(IgnoreMatcher::parse("\xEF\xBB\xBF" "a").patterns(), ElementsAre("a"));
  auto empty = IgnoreMatcher::parse("");
  EXPECT_THAT(empty.patterns(), IsEmpty());
  EXPECT_FALSE(empty.has_exceptions());
  EXPECT_FALSE(empty.excluded("anything"));
}

TEST(IgnoreFile, BadPatternsNameThemselves) {
  EXPECT_THAT(parse_error("ok\n!\n"), HasSubstr("line 2"));
  EXPECT_THAT(parse_error("! "), HasSubstr("bad pattern \"!\""));
  for (const char* bad : {"[", "[^", "[^bc", "a[", "\\", "a\\", "[]a]", "[-]", "[x-]", "[-x]", "[a-b-c]",
                          "[z-a]", "x\\q"}) {
    SCOPED_TRACE(bad);
    std::string e = parse_error(std::string("good\n") + bad + "\n");
    EXPECT_THAT(e, HasSubstr("line 2"));
    EXPECT_THAT(e, HasSubstr(std::string("\"") + bad + "\""));
  }
  // The message stays on one line even for control characters.
  EXPECT_EQ(parse_error("[\x01").find('\x01'), std::string::npos);
}

TEST(IgnoreMatch, Globs) {
  check({
      {"*", "fileutils.go", true},
      {"*.go", "fileutils.go", true},
      {"*.go", "dir/fileutils.go", false},
      {"abc", "abc", true},
      {"*c", "abc", true},
      {"a*", "a", true},
      {"a*", "ab/c", true},  // through the parent "ab"
      {"a*/b", "abc/b", true},
      {"a*/b", "a/c/b", false},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true},
      {"a*b?c*x", "abxbbxdbxebxczzy", false},
      {"a?b", "a/b", false},
      {"a*b", "a/b", false},
      {"*x", "xxx", true},
      {".*", ".foo", true},
      {".*", "foo", false},
      {"abc.def", "abcZdef", false},
      {"abc.def", "abc.def", true},
      {"abc?def", "abcZdef", true},
      {"abc?def", "abcdef", false},
      {"a(b)c/def", "a(b)c/def", true},
      {"a(b)c/def", "a(b)c/xyz", false},
      {"a.|)$(}+{bc", "a.|)$(}+{bc", true},
      {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true},
  });
}

TEST(IgnoreMatch, CharacterClassesAndEscapes) {
  check({
      {"ab[c]", "abc", true},
      {"ab[b-d]", "abc", true},
      {"ab[e-g]", "abc", false},
      {"ab[^c]", "abc", false},
      {"ab[^b-d]", "abc", false},
      {"ab[^e-g]", "abc", true},
      {"a[b-d]e", "ae", false},
      {"a[b-d]e", "ace", true},
      {"a[^b-d]e", "aze", true},
      {"a\\*b", "a*b", true},
      {"a\\*b", "ab", false},
      {"a\\\\", "a\\", true},
      {"a?b", "a☺b", true},        // one character, several bytes
      {"a[^a]b", "a☺b", true},
      {"a???b", "a☺b", false},
      {"[a-ζ]*", "α", true},
      {"*[a-ζ]", "A", false},
      {"[\\]a]", "]", true},
      {"[\\-]", "-", true},
      {"[x\\-]", "x", true},
      {"[x\\-]", "-", true},
      {"[x\\-]", "z", false},
      {"[\\-x]", "a", false},
      {"[!a]", "!", true},         // '!' does not negate (regexp semantics)
      {"[!a]", "b", false},
      {"x[^a]y", "x/y", true},     // a negated class is not stopped by '/'
  });
}

TEST(IgnoreMatch, DoubleStar) {
  check({
      {"**", "file", true},
      {"**/", "file", true},
      {"**", "dir/file", true},
      {"**/**", "dir/file", true},
      {"dir/**", "dir/file", true},
      {"dir/**", "dir/dir2/file", true},
      {"abc/**", "abc", false},
      {"**/dir", "dir", true},
      {"**/dir", "dir/file", true},
      {"**/dir2/*", "dir/dir2/file", true},
      {"**/dir2/**", "dir/dir2/dir3/file", true},
      {"**file", "file", true},
      {"**file", "dir/dir/file", true},
      {"**file", "dir/myfile", true},  // ** without a slash is a plain suffix
      {"**/file", "dir/myfile", false},
      {"**/file*.txt", "dir/dir/file.txt", true},
      {"**/**/*.txt", "dir/dir/file.txt", true},
      {"**/**/*.txt2", "dir/dir/file.txt", false},
      {"**/*.txt", "file.txt", true},
      {"a**/*.txt", "a/dir/dir/file.txt", true},
      {"a/*.txt", "a/dir/file.txt", false},
      {"a/*.txt**", "a/file.txt", true},
      {"**/foo/bar", "foo/bar", true},
      {"**/foo/bar", "dir/dir2/foo/bar", true},
      {"**/.foo", ".foo", true},
      {"**/.foo", "bar.foo", false},
      {"node_modules", "node_modules/x/y.js", true},
      {"**/node_modules", "a/node_modules/x.js", true},
  });
}

TEST(IgnoreMatch, QuirksCarriedOverFromDocker) {
  // A ? inside [...] becomes "[^/]" inside the generated regexp, so the class
  // is '[', '^', '/' followed by a literal ']'.
  check({{"[?]", "?", false}, {"[?]", "^]", true}});
  // '^' is not escaped by Docker: harmless in a pattern compared as a plain
  // string, but in a regexp it anchors, so the pattern can never match.
  check({{"a^b", "a^b", true}, {"a^b*", "a^bc", false}});
  // "/!x" is cleaned to "!x" and then read as an exception.
  auto m = IgnoreMatcher::parse("*\n/!x\n");
  EXPECT_THAT(m.patterns(), ElementsAre("*", "!x"));
  EXPECT_FALSE(m.excluded("x"));
  // Escaped Perl classes reach the regexp.
  check({{"a\\d", "a7", true}, {"a\\d", "ad", false}});
}

TEST(IgnoreMatch, LastMatchWinsAndParentsCount) {
  EXPECT_TRUE(excl("!fileutils.go\n*.go", "fileutils.go"));
  EXPECT_FALSE(excl("*.go\n!fileutils.go", "fileutils.go"));
  EXPECT_FALSE(excl("docs\n!docs/README.md", "docs/README.md"));
  EXPECT_FALSE(excl("docs/\n!docs/README.md", "docs/README.md"));
  EXPECT_FALSE(excl("docs/*\n!docs/README.md", "docs/README.md"));
  EXPECT_TRUE(excl("docs\n!docs/README.md", "docs/other.md"));
  EXPECT_TRUE(excl("docs\n!docs/README.md", "docs"));
  EXPECT_FALSE(excl("**\n!util/docker/web", "util/docker/web/foo"));
  EXPECT_TRUE(excl("**\n!util/docker/web\nutil/docker/web/foo", "util/docker/web/foo"));
  EXPECT_FALSE(excl("**\n!dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"));
  // An exception for a directory re-includes what is inside it.
  EXPECT_FALSE(excl("*\n!src", "src/main.cpp"));
  EXPECT_TRUE(excl("*\n!src", "docs/x"));
}

TEST(IgnoreMatch, PathsAreCleanedAndRootIsNeverExcluded) {
  EXPECT_TRUE(excl("a/b", "./a//b/"));
  EXPECT_TRUE(excl("a/b", "/a/b"));
  EXPECT_FALSE(excl("*", "."));
  EXPECT_FALSE(excl("**", ""));
  EXPECT_TRUE(excl("/abs/path", "abs/path/x"));
}

TEST(MayReincludeBelow, ConservativeButPrunesWhatItCan) {
  auto m = IgnoreMatcher::parse("docs\n!docs/README.md\n*.log\n!keep/*.log\nbuild\n!**/important\nvendor/**\n");
  EXPECT_TRUE(m.may_reinclude_below("docs"));
  EXPECT_TRUE(m.may_reinclude_below("keep"));
  EXPECT_TRUE(m.may_reinclude_below("build"));  // **/important could be anywhere
  auto n = IgnoreMatcher::parse("docs\n!docs/README.md\nbuild\n!keep/*.log\n!vendor/x/**\n");
  EXPECT_TRUE(n.may_reinclude_below("docs"));
  EXPECT_FALSE(n.may_reinclude_below("build"));
  EXPECT_FALSE(n.may_reinclude_below("docs/sub"));  // README.md is not below docs/sub
  EXPECT_TRUE(n.may_reinclude_below("vendor"));
  EXPECT_TRUE(n.may_reinclude_below("vendor/x"));
  EXPECT_FALSE(n.may_reinclude_below("vendor/y"));
  EXPECT_FALSE(n.may_reinclude_below("keepers"));
  auto none = IgnoreMatcher::parse("docs\n");
  EXPECT_FALSE(none.may_reinclude_below("docs"));
  auto cls = IgnoreMatcher::parse("*\n!a[0-9]/x\n");
  EXPECT_TRUE(cls.may_reinclude_below("a5"));
  EXPECT_FALSE(cls.may_reinclude_below("ab"));
}

TEST(MayReincludeBelow, AgreesWithExcludedOnEveryPathBelow) {
  // Whenever a path below an excluded directory is re-included, the
  // directory must not have been reported prunable.
  const char* file = "*\n!a/*/keep\n!**/z?\n!b/c\n!x[0-9]/**\n";
  auto m = IgnoreMatcher::parse(file);
  const std::vector<std::string> names = {"a", "b", "c", "keep", "z1", "zz", "x1", "x"};
  int reincluded = 0;
  for (const auto& d1 : names)
    for (const auto& d2 : names)
      for (const auto& f : names) {
        const std::string path = d1 + "/" + d2 + "/" + f;
        for (const auto& dir : std::vector<std::string>{d1, d1 + "/" + d2}) {
          if (m.excluded(dir) && !m.excluded(path)) {
            ++reincluded;
            SCOPED_TRACE(path);
            EXPECT_TRUE(m.may_reinclude_below(dir)) << dir;
          }
        }
      }
  EXPECT_GT(reincluded, 20);  // the loop did exercise re-inclusion
}

TEST(IgnoreFileCandidates, DockerfileSpecificFirst) {
  EXPECT_THAT(ignore_file_candidates("/ctx/sub/app.Dockerfile", "/ctx"),
              ElementsAre("/ctx/sub/app.Dockerfile.dockerignore", "/ctx/.dockerignore"));
  EXPECT_THAT(ignore_file_candidates("Dockerfile", "ctx/"),
              ElementsAre("Dockerfile.dockerignore", "ctx/.dockerignore"));
  EXPECT_THAT(ignore_file_candidates("", ""), ElementsAre(".dockerignore"));
}

TEST(AlwaysIncluded, DockerfileAndIgnoreFile) {
  EXPECT_TRUE(always_included(".dockerignore", "Dockerfile"));
  EXPECT_TRUE(always_included("Dockerfile", "Dockerfile"));
  EXPECT_TRUE(always_included("./sub/Dockerfile.dev", "sub/Dockerfile.dev"));
  EXPECT_FALSE(always_included("Dockerfile", "sub/Dockerfile"));
  EXPECT_FALSE(always_included("sub/.dockerignore", "Dockerfile"));
  EXPECT_FALSE(always_included("", ""));
}
