// Expected values are BuildKit's results for the same inputs (its shell
// lexer's behaviour), so a Dockerfile expands the same under kiln as under
// `docker build`.
#include "dockerfile/shell_lexer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/error.h"
#include "support/usage_error.h"

using kiln::UsageError;
using kiln::dockerfile::env_from_list;
using kiln::dockerfile::EnvLookup;
using kiln::dockerfile::ShellLexer;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace {

const EnvLookup& base_env() {
  static const EnvLookup env = env_from_list({"PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="});
  return env;
}

std::string expand(std::string_view w, const EnvLookup& env = base_env()) {
  return ShellLexer().process_word(w, env);
}

std::string error_of(std::string_view w, const EnvLookup& env = base_env(), char escape = '\\') {
  return kiln::testing::usage_error_of([&] { ShellLexer(escape).process_word(w, env); });
}

struct Case {
  const char* in;
  const char* out;  // nullptr: must be a UsageError
};

void check(const std::vector<Case>& cases, const EnvLookup& env = base_env(), char escape = '\\') {
  ShellLexer lx(escape);
  for (const auto& c : cases) {
    SCOPED_TRACE(c.in);
    if (c.out == nullptr) {
      EXPECT_THROW(lx.process_word(c.in, env), UsageError);
    } else {
      EXPECT_EQ(lx.process_word(c.in, env), c.out);
    }
  }
}

}  // namespace

TEST(ShellLexer, QuotesAndEscapes) {
  check({
      {"hello", "hello"},
      {"he'll'o", "hello"},
      {"he'llo", nullptr},
      {"he\\'llo", "he'llo"},
      {"he\\\\'llo", nullptr},
      {"abc\\tdef", "abctdef"},
      {"\"abc\\tdef\"", "abc\\tdef"},   // \ before t stays inside "..."
      {"\"abc\\\\tdef\"", "abc\\tdef"}, // \\ is one backslash inside "..."
      {"'abc\\tdef'", "abc\\tdef"},
      {"hello\\", "hello"},            // a trailing escape vanishes
      {"hello\\\\", "hello\\"},
      {"\"hello", nullptr},
      {"\"hello\\\"", nullptr},
      {"\"hel'lo\"", "hel'lo"},
      {"'hello", nullptr},
      {"'hello\\'", "hello\\"},        // no escaping inside '...'
      {"'hello\\\\there'", "hello\\\\there"},
      {"\"''\"", "''"},
      {"'\"hello\"'", "\"hello\""},
      {"\"a\\\"b\"", "a\"b"},
      {"a\\ b", "a b"},
      {"\"a\\\nb\"", "a\\\nb"},        // backslash-newline inside "..." is literal
      {"a\\\nb", "a\nb"},
  });
}

TEST(ShellLexer, PlainVariables) {
  check({
      {"$.", "$."},
      {"he$.x", "he$.x"},
      {"$", "$"},
      {"a$ b", "a$ b"},
      {"he$PWD", "he/home"},
      {"he$pwd.", "he."},               // names are case-sensitive
      {"he\\$PWD", "he$PWD"},
      {"he\\\\$PWD", "he\\/home"},
      {"\"he\\$PWD\"", "he$PWD"},
      {"\"he\\\\$PWD\"", "he\\/home"},
      {"'$PWD'", "$PWD"},
      {"'\\$PWD'", "\\$PWD"},
      {"\"$PWD\"", "/home"},
      {"\"he'$PWD'\"", "he'/home'"},
      {"$PWD-x", "/home-x"},
      {"$PWD_x", ""},                   // _ continues the name
      {"$KOREAN", "한국어"},
      {"안녕$KOREAN", "안녕한국어"},
      {"안녕${KOREAN:-abc}", "안녕한국어"},
      {"안'녕'하세요", "안녕하세요"},
      {"안녕\\'하세요", "안녕'하세요"},
  });
}

TEST(ShellLexer, PositionalAndSpecialParametersAreOrdinaryLookups) {
  // BuildKit has no positional parameters: $1 is the variable named "1".
  check({{"he$1x", "hex"}, {"$12ab", "ab"}, {"$@x", "x"}, {"$*", ""}, {"$#", ""},
         {"$?", ""}, {"$$", ""}, {"$!", ""}, {"$-", ""}, {"$0", ""}, {"${#}", ""}, {"${@}", ""}});
  auto env = env_from_list({"1=one", "12=twelve", "@=at", "#=hash"});
  check({{"$1x", "onex"}, {"$12", "twelve"}, {"$@", "at"}, {"${#}", "hash"}, {"$#x", "hashx"}}, env);
  EXPECT_THROW(expand("${#PWD}"), UsageError);  // no ${#v} length operator
}

TEST(ShellLexer, BracedVariables) {
  check({
      {"\\${}", "${}"},
      {"\\${}aaa", "${}aaa"},
      {"he\\${}xx", "he${}xx"},
      {"${}", nullptr},
      {"he${}xx", nullptr},
      {"${:}", nullptr},
      {"${{x}}", nullptr},
      {"he${hi}xx", "hexx"},
      {"he${PWD}", "he/home"},
      {"he${.}", nullptr},
      {"he${PWD", nullptr},
      {"${", nullptr},
      {"'he${XX}'", "he${XX}"},
      {"\"he${PWD}\"", "he/home"},
      {"${PWD x}", nullptr},
  });
}

TEST(ShellLexer, DefaultAndAlternative) {
  check({
      {"he${XXX:-000}xx", "he000xx"},
      {"he${PWD:-000}xx", "he/homexx"},
      {"he${XXX:-$PWD}xx", "he/homexx"},
      {"he${XXX:-${PWD:-yyy}}xx", "he/homexx"},
      {"he${XXX:-${YYY:-yyy}}xx", "heyyyxx"},
      {"${NULL:-d}", "d"},
      {"${NULL-d}", ""},
      {"${XXX-d}", "d"},
      {"he${XXX:+${PWD}}xx", "hexx"},
      {"he${PWD:+${XXX}}xx", "hexx"},
      {"he${PWD:+${SHELL}}xx", "hebashxx"},
      {"he${XXX:+000}xx", "hexx"},
      {"he${PWD:+000}xx", "he000xx"},
      {"${NULL:+x}", ""},
      {"${NULL+x}", "x"},
      {"he${PWD:+${PWD}:}xx", "he/home:xx"},
      {"he${XXX:-\\$PWD:}xx", "he$PWD:xx"},
      {"he${XXX:-\\${PWD}z}xx", "he${PWDz}xx"},
      {"${XXX:-'}'}", "}"},
      {"${XXX:-\"a b\"}", "a b"},
      {"${XXX:-a\\}b}", "a}b"},
      {"${XXX:-}", ""},
      {"he${PWD:=000}xx", nullptr},  // no assignment operators
      {"${XXX=x}", nullptr},
      {"he${XXX:YYY}", nullptr},
      {"${XXX:-abc", nullptr},
  });
}

TEST(ShellLexer, UnusedWordIsStillExpanded) {
  // ${v:-w} expands w even when v is set: its errors surface and its
  // variables count as consulted.
  EXPECT_THROW(expand("${PWD:-${X:?boom}}"), UsageError);
  auto ex = ShellLexer().process_word_with_matches("${PWD:-$OTHER}", base_env());
  EXPECT_EQ(ex.word, "/home");
  EXPECT_EQ(ex.used, (std::set<std::string>{"PWD"}));
  EXPECT_EQ(ex.unset, (std::set<std::string>{"OTHER"}));
}

TEST(ShellLexer, Required) {
  check({{"he${PWD?}", "he/home"}, {"he${PWD:?}", "he/home"}, {"he${NULL?}", "he"},
         {"he${XXX?}", nullptr}, {"he${XXX:?}", nullptr}, {"he${NULL:?}", nullptr}});
  EXPECT_THAT(error_of("${VAR?}"), HasSubstr("VAR: is not allowed to be unset"));
  EXPECT_THAT(error_of("${NULL:?}"), HasSubstr("NULL: is not allowed to be empty"));
  // The message is itself expanded.
  auto env = env_from_list({"ARG=x", "EMPTY="});
  EXPECT_THAT(error_of("${VAR:?message here$ARG}", env), HasSubstr("VAR: message herex"));
  EXPECT_THAT(error_of("${EMPTY:?message here$ARG}", env), HasSubstr("EMPTY: message herex"));
  EXPECT_THAT(error_of("${VAR?message here$ARG}", env), HasSubstr("VAR: message herex"));
  EXPECT_EQ(expand("${EMPTY?message}", env), "");
  // The error names the word and stays on one line.
  std::string e = error_of("a\n${X?bad\nthing}");
  EXPECT_THAT(e, HasSubstr("failed to process \"a\\n${X?bad\\nthing}\""));
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

TEST(ShellLexer, PrefixAndSuffixRemoval) {
  auto env = env_from_list({"FOO=xxyy", "EMPTY=", "X=x", "PATHV=/usr/local/bin/tool.tar.gz"});
  check({
      {"${FOO#*x*y}", "y"},
      {"${FOO#*}", "xxyy"},
      {"${FOO#$X}", "xyy"},
      {"${FOO#$EMPTY}", "xxyy"},
      {"${FOO#}", "xxyy"},
      {"${FOO##*x}", "yy"},
      {"${FOO##}", "xxyy"},
      {"${FOO#x}", "xyy"},
      {"${FOO##x*}", ""},
      {"${FOO#y}", "xxyy"},
      {"${FOO%y}", "xxy"},
      {"${FOO%%y*}", "xx"},
      {"${FOO%*y}", "xxy"},
      {"${FOO%%*y}", ""},
      {"${FOO%}", "xxyy"},
      {"${FOO%%$EMPTY}", "xxyy"},
      {"${NOPE%x}", ""},
      {"${ABC:-.}${FOO%x}${ABC:-.}", ".xxyy."},
      {"${PATHV##*/}", "tool.tar.gz"},
      {"${PATHV#*/}", "usr/local/bin/tool.tar.gz"},
      {"${PATHV%.*}", "/usr/local/bin/tool.tar"},
      {"${PATHV%%.*}", "/usr/local/bin/tool"},
      {"${PATHV%/*}", "/usr/local/bin"},
      {"${FOO#??}", "yy"},
      {"${FOO:#x}", "xyy"},  // ':' before # or % changes nothing
      {"${FOO:%%y*}", "xx"},
  }, env);
}

TEST(ShellLexer, PatternSpecialCharacters) {
  check({{"${FOO#()[]{\\}^$.\\*\\?|\\\\}", "x"}},
        env_from_list({"FOO=()[]{}^$.*?|\\x"}));
  check({{"${FOO%%\\**}", "xx"}}, env_from_list({"FOO=xx**"}));
  check({{"${FOO%%\\**\\*}", "a"}}, env_from_list({"FOO=a***yy*"}));
  check({{"${FOO#?\\?}", "?y"}}, env_from_list({"FOO=???y"}));
  // Brackets are literal characters, not a character class.
  check({{"${FOO#[ab]}", "c"}, {"${BAR#[ab]}", "abc"}}, env_from_list({"FOO=[ab]c", "BAR=abc"}));
  // Quotes inside the pattern are removed but do not make * literal.
  check({{"${FOO#\"*\"}", "xx"}, {"${FOO#'x'}", "x"}}, env_from_list({"FOO=xx"}));
  // Wildcards never match a newline.
  check({{"${FOO#*}", "a\nb"}, {"${FOO##*}", "\nb"}, {"${FOO#?}", "\nb"}, {"${FOO#a?}", "a\nb"}},
        env_from_list({"FOO=a\nb"}));
  // Multi-byte characters are one character to ?.
  check({{"${K#?}", "국어"}, {"${K%?}", "한국"}}, env_from_list({"K=한국어"}));
  // Bad escapes in a pattern are errors.
  auto env = env_from_list({"FOO=abc", "BAD=\\x", "TRAIL=a\\"});
  check({{"${FOO#$BAD}", nullptr}, {"${FOO#$TRAIL}", nullptr}, {"${FOO//$BAD/y}", nullptr},
         {"${FOO%$BAD}", nullptr}}, env);
  EXPECT_THAT(error_of("${FOO#$BAD}", env), HasSubstr("invalid pattern"));
}

TEST(ShellLexer, Replacement) {
  check({{"${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}", "/foo.*/*.txt - /foo..*.txt"}},
        env_from_list({"FOO=/foo*/*/*.txt", "NEEDLE=\\*/"}));
  check({{"${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}", "/tmp/bar.txt - /bar.txt"}},
        env_from_list({"FOO=/tmp/tmp/bar.txt", "NEEDLE=/tmp"}));
  check({{"${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}", "/foo/b/c.txt - /foo/c.txt"}},
        env_from_list({"FOO=/a/foo/b/c.txt", "NEEDLE=/?/", "REPLACEMENT=/"}));
  check({{"${FOO/$NEEDLE/$REPLACEMENT}", "https://google.de"}},
        env_from_list({"FOO=http://google.de", "NEEDLE=http://", "REPLACEMENT=https://"}));
  // Escaped separators: the backslash stays in the replacement text.
  check({{"${FOO//\\//\\/}", "\\/tmp\\/foo.txt"}}, env_from_list({"FOO=/tmp/foo.txt"}));
  auto env = env_from_list({"FOO=xxyy", "EMPTY="});
  check({
      {"${FOO/$EMPTY/ww}", "wwxxyy"},
      {"${FOO//$EMPTY/-}", "-x-x-y-y-"},
      {"${FOO///}", "xxyy"},
      {"${NOPE///}", ""},
      {"${FOO/x/a}", "axyy"},
      {"${FOO//x/a}", "aayy"},
      {"${FOO/x*/a}", "a"},       // greedy
      {"${FOO//?/ab}", "abababab"},
      {"${FOO/z/a}", "xxyy"},
      {"${FOO//y*/-}", "xx-"},
      {"${FOO//*/-}", "-"},       // the empty match at the end is skipped
      {"${FOO//ww}", nullptr},
      {"${FOO//}", nullptr},
      {"${FOO/a", nullptr},
  }, env);
  EXPECT_THAT(error_of("${FOO//ww}", env), HasSubstr("missing '/'"));
}

TEST(ShellLexer, ReplaceAllReadsReplacementAsGoTemplate) {
  // BuildKit passes the replacement of ${v//p/r} to Go's ReplaceAllString:
  // $0 is the match, $$ a dollar, other $names are empty. ${v/p/r} is literal.
  auto env = env_from_list({"FOO=ab", "R=<$0>", "D=$$", "N=$1x", "M=${0}!", "L=$-", "Z=$00|${00}|${0", "B=${x"});
  check({{"${FOO//?/$R}", "<a><b>"},
         {"${FOO/?/$R}", "<$0>b"},
         {"${FOO//a/$D}", "$b"},
         {"${FOO//a/$N}", "b"},
         {"${FOO//a/$M}", "a!b"},
         {"${FOO//a/$L}", "$-b"},
         {"${FOO//a/$Z}", "||${0b"},  // leading zeros make no group number
         {"${FOO//a/$B}", "${xb"}}, env);
}

TEST(ShellLexer, EscapeCharacterBacktick) {
  ShellLexer lx('`');
  EXPECT_EQ(lx.escape(), '`');
  check({
      {"C:\\dir\\file", "C:\\dir\\file"},  // backslash is an ordinary character
      {"a`$PWD", "a$PWD"},
      {"a` b", "a b"},
      {"``", "`"},
      {"\"a`\"b\"", "a\"b"},
      {"\"`$PWD\"", "$PWD"},
      {"\"a`xb\"", "a`xb"},
      {"\"a\\\"", "a\\"},
      {"${NOPE:-`}}", "}"},
  }, base_env(), '`');
}

TEST(ShellLexer, UsedAndUnsetTracking) {
  ShellLexer lx;
  auto env = env_from_list({"FOO=xxx", "BAR="});
  auto a = lx.process_word_with_matches("x", env);
  EXPECT_THAT(a.used, IsEmpty());
  EXPECT_THAT(a.unset, IsEmpty());
  auto b = lx.process_word_with_matches("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", env);
  EXPECT_EQ(b.word, "xxx  ccc");
  EXPECT_EQ(b.used, (std::set<std::string>{"FOO", "BAR"}));
  EXPECT_EQ(b.unset, (std::set<std::string>{"BAZ"}));
  auto c = lx.process_word_with_matches("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", env);
  EXPECT_EQ(c.word, "aaa  ");
  EXPECT_THAT(c.words, ElementsAre("aaa"));
  auto d = lx.process_word_with_matches("'$QUOTED' \\$ESCAPED $PLAIN", env);
  EXPECT_THAT(d.used, IsEmpty());
  EXPECT_EQ(d.unset, (std::set<std::string>{"PLAIN"}));
  auto e = lx.process_word_with_matches("${FOO/$BAR/${BAZ}}", env);
  EXPECT_EQ(e.used, (std::set<std::string>{"FOO", "BAR"}));
  EXPECT_EQ(e.unset, (std::set<std::string>{"BAZ"}));
}

TEST(ShellLexer, ProcessWordsSplitsAtUnquotedWhiteSpace) {
  ShellLexer lx;
  auto env = env_from_list({"hi=hi", "space=abc  def", "leading=  ab c", "trailing=ab c   "});
  auto w = [&](std::string_view s) { return lx.process_words(s, env); };
  EXPECT_THAT(w("hello"), ElementsAre("hello"));
  EXPECT_THAT(w("hello${hi}bye"), ElementsAre("hellohibye"));
  EXPECT_THAT(w("hello${nope}bye"), ElementsAre("hellobye"));
  EXPECT_THAT(w("hello${space}bye"), ElementsAre("helloabc", "defbye"));
  EXPECT_THAT(w("hello\"${space}\"bye"), ElementsAre("helloabc  defbye"));
  EXPECT_THAT(w("hello \"${space}\"bye"), ElementsAre("hello", "abc  defbye"));
  EXPECT_THAT(w("hello${leading}def"), ElementsAre("hello", "ab", "cdef"));
  EXPECT_THAT(w("hello\"${leading}\" def"), ElementsAre("hello  ab c", "def"));
  EXPECT_THAT(w("hello${trailing}"), ElementsAre("helloab", "c"));
  EXPECT_THAT(w("hello${trailing}d"), ElementsAre("helloab", "c", "d"));
  EXPECT_THAT(w("hello\"${trailing}\"d"), ElementsAre("helloab c   d"));
  EXPECT_THAT(w("hel\"lo${trailing}\""), ElementsAre("helloab c   "));
  EXPECT_THAT(w("hello\" there  \""), ElementsAre("hello there  "));
  EXPECT_THAT(w("  hello \t there  "), ElementsAre("hello", "there"));
  EXPECT_THAT(w("hello\\ there"), ElementsAre("hello there"));
  EXPECT_THAT(w("hello\\\" there"), ElementsAre("hello\"", "there"));
  EXPECT_THAT(w("hello\"\\\\there\""), ElementsAre("hello\\there"));
  EXPECT_THAT(w("hello'\\\\there'"), ElementsAre("hello\\\\there"));
  EXPECT_THAT(w("hello'$there'"), ElementsAre("hello$there"));
  EXPECT_THROW(w("hello\" there"), UsageError);
  // Non-ASCII white space (U+00A0, U+3000) splits too, as in Go.
  EXPECT_THAT(w("a\xC2\xA0" "b\xE3\x80\x80" "c"), ElementsAre("a", "b", "c"));
  // BuildKit drops empty words, including quoted empty strings.
  EXPECT_THAT(w("\"\""), IsEmpty());
  EXPECT_THAT(w("a \"\" b ''"), ElementsAre("a", "b"));
  EXPECT_THAT(w(""), IsEmpty());
}

TEST(ShellLexer, ProcessWordKeepsWhiteSpace) {
  EXPECT_EQ(expand("  a  b  "), "  a  b  ");
  EXPECT_EQ(expand("a${NOPE}  b"), "a  b");
}

TEST(ShellLexer, InvalidUtf8PassesThrough) {
  EXPECT_EQ(expand("a\xff\xfe$PWD"), "a\xff\xfe/home");
  EXPECT_EQ(expand("${PWD:-\xc3}x"), "/homex");
}

TEST(ShellLexer, DeepNestingIsAnErrorNotACrash) {
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "${A:-";
  deep += "x";
  for (int i = 0; i < 5000; ++i) deep += "}";
  EXPECT_THAT(error_of(deep), HasSubstr("nested too deeply"));
  std::string ok;
  for (int i = 0; i < 50; ++i) ok += "${A:-";
  ok += "x";
  for (int i = 0; i < 50; ++i) ok += "}";
  EXPECT_EQ(expand(ok), "x");
}

TEST(ShellLexer, ManyStarsStayFast) {
  // Memoised matching: this would take exponential time with naive
  // backtracking.
  std::string value(60, 'a');
  std::string pattern;
  for (int i = 0; i < 30; ++i) pattern += "*a";
  pattern += "b";
  auto env = env_from_list({"V=" + value, "P=" + pattern});
  EXPECT_EQ(expand("${V##$P}", env), value);
  EXPECT_EQ(expand("${V%%$P}", env), value);
  EXPECT_EQ(expand("${V//$P/x}", env), value);
}

TEST(EnvFromList, LastAssignmentWinsAndBareNamesAreEmpty) {
  auto env = env_from_list({"car=hat", "foo", "car=bike", "eq=a=b"});
  EXPECT_EQ(env("car"), "bike");
  EXPECT_EQ(env("foo"), "");
  EXPECT_EQ(env("eq"), "a=b");
  EXPECT_EQ(env("nope"), std::nullopt);
  EXPECT_EQ(env("CAR"), std::nullopt);
  auto empty = env_from_list({});
  EXPECT_EQ(empty("foo"), std::nullopt);
}

TEST(ShellLexer, ProcessWordsReleaseTemplateExample) {
  // The naming pattern of BuildKit's own release archives.
  const char* w = "something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz";
  auto arm = env_from_list({"VERSION=v1.2.3", "TARGETOS=linux", "TARGETARCH=arm", "TARGETVARIANT=v7"});
  auto ex = ShellLexer().process_word_with_matches(w, arm);
  EXPECT_EQ(ex.word, "something-v1.2.3.linux-arm-v7.tar.gz");
  EXPECT_EQ(ex.used.size(), 4u);
  auto amd = env_from_list({"VERSION=v1.2.3", "TARGETOS=linux", "TARGETARCH=amd64"});
  ex = ShellLexer().process_word_with_matches(w, amd);
  EXPECT_EQ(ex.word, "something-v1.2.3.linux-amd64.tar.gz");
  EXPECT_EQ(ex.unset, (std::set<std::string>{"TARGETVARIANT"}));
}

TEST(ShellLexer, AbsurdPatternIsAnErrorNotAMemoryBlowup) {
  std::string pattern;
  for (int i = 0; i < 1000; ++i) pattern += "*a";
  auto env = env_from_list({"V=" + std::string(10000, 'a'), "P=" + pattern});
  EXPECT_THAT(error_of("${V#$P}", env), HasSubstr("too complex"));
}

TEST(ShellLexer, NestedReplaceAllCannotExplode) {
  // Each level inserts the inner result at all 33 positions of X: 65 bytes,
  // 2177, 71873, then about 2.4 MB, which is refused.
  auto env = env_from_list({"X=" + std::string(32, 'a'), "E="});
  EXPECT_EQ(expand("${X//$E/x}", env).size(), 65u);
  EXPECT_EQ(expand("${X//$E/${X//$E/x}}", env).size(), 2177u);
  EXPECT_EQ(expand("${X//$E/${X//$E/${X//$E/x}}}", env).size(), 71873u);
  EXPECT_THAT(error_of("${X//$E/${X//$E/${X//$E/${X//$E/x}}}}", env), HasSubstr("exceeds"));
  // The same through $0 in the replacement template.
  std::string zeros;
  for (int i = 0; i < 1000; ++i) zeros += "$0";
  auto many = env_from_list({"X=" + std::string(2000, 'a'), "Z=" + zeros});
  EXPECT_THAT(error_of("${X//*/$Z}", many), HasSubstr("exceeds"));
}

TEST(ShellLexer, FuzzRegressionExponentialReplaceAll) {
  // Found by tests/fuzz/shell_lexer_fuzz.cpp (timeout): nested ${IN//...}
  // whose replacements contain $IN again, with $IN the word itself.
  const std::string word(
      "\377\377\377\377\377\377\377@t${IN//[/$\377@t${IN///ab[]/$IN/\377\377\377\377@t${IN//[/$\377@t${IN///ab[]/"
      "$IN/\024/[*}/$\030/[GGGG}$\035\000\000*}\254{IN/.[\024/[*}/$\030/[GGGG}$\035\000\000*}\254{IN/.[/$A}",
      131);
  const auto base = env_from_list({"A=abc"});
  const EnvLookup env = [&](std::string_view name) -> std::optional<std::string> {
    if (name == "IN") return word;
    return base(name);
  };
  EXPECT_THAT(error_of(word, env), HasSubstr("exceeds"));
}
