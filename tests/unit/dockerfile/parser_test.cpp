#include <gtest/gtest.h>

#include "base/error.h"
#include "dockerfile/parser.h"
#include "support/usage_error.h"

using namespace kiln::dockerfile;

namespace {
ParsedFile p(const std::string& text) { return parse(text, "Dockerfile"); }

std::string error_of(const std::string& text) {
  return kiln::testing::usage_error_of([&] { parse(text, "Dockerfile"); });
}
}  // namespace

TEST(Parser, SimpleInstructionsAndLines) {
  auto f = p("FROM alpine\nRUN echo hi\n\nCMD [\"sh\"]\n");
  ASSERT_EQ(f.nodes.size(), 3u);
  EXPECT_EQ(f.nodes[0].keyword, "from");
  EXPECT_EQ(f.nodes[0].args, std::vector<std::string>{"alpine"});
  EXPECT_EQ(f.nodes[1].keyword, "run");
  EXPECT_EQ(f.nodes[1].args, std::vector<std::string>{"echo hi"});
  EXPECT_FALSE(f.nodes[1].json);
  EXPECT_EQ(f.nodes[1].start_line, 2);
  EXPECT_EQ(f.nodes[2].start_line, 4);
  EXPECT_TRUE(f.nodes[2].json);
  EXPECT_EQ(f.nodes[2].args, std::vector<std::string>{"sh"});
  EXPECT_EQ(f.escape, '\\');
  EXPECT_TRUE(f.warnings.empty());
}

TEST(Parser, InstructionNamesAreCaseInsensitive) {
  auto f = p("from alpine\nrUn echo\nWorkDir /x\n");
  EXPECT_EQ(f.nodes[0].keyword, "from");
  EXPECT_EQ(f.nodes[1].keyword, "run");
  EXPECT_EQ(f.nodes[2].keyword, "workdir");
}

TEST(Parser, CommentsAndIndentation) {
  auto f = p("# comment\n   # indented comment\nFROM a\n\t RUN x # not a comment\n");
  ASSERT_EQ(f.nodes.size(), 2u);
  EXPECT_EQ(f.nodes[1].args[0], "x # not a comment");
  EXPECT_EQ(f.nodes[1].start_line, 4);
}

TEST(Parser, ContinuationsJoinLinesAndKeepLineRange) {
  auto f = p("FROM a\nRUN echo a \\\n    b \\\n  c\nRUN d\n");
  ASSERT_EQ(f.nodes.size(), 3u);
  EXPECT_EQ(f.nodes[1].args[0], "echo a     b   c");
  EXPECT_EQ(f.nodes[1].start_line, 2);
  EXPECT_EQ(f.nodes[1].end_line, 4);
  EXPECT_EQ(f.nodes[2].start_line, 5);
}

TEST(Parser, ContinuationWithTrailingBlanksAfterEscape) {
  auto f = p("FROM a\nRUN a \\   \n b\n");
  EXPECT_EQ(f.nodes[1].args[0], "a  b");
}

TEST(Parser, CommentLinesInsideContinuationAreDropped) {
  // From the Dockerfile reference: comment lines inside a continued RUN are removed.
  auto f = p("FROM a\nRUN echo hello \\\n# comment\nworld\n");
  ASSERT_EQ(f.nodes.size(), 2u);
  EXPECT_EQ(f.nodes[1].args[0], "echo hello world");
  EXPECT_EQ(f.nodes[1].end_line, 4);
  EXPECT_TRUE(f.warnings.empty());
}

TEST(Parser, EmptyContinuationLineWarns) {
  auto f = p("FROM a\nRUN echo a \\\n\n  b\n");
  ASSERT_EQ(f.nodes.size(), 2u);
  EXPECT_EQ(f.nodes[1].args[0], "echo a   b");
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].find("Dockerfile:2:"), std::string::npos);
  EXPECT_NE(f.warnings[0].find("empty continuation line"), std::string::npos);
}

TEST(Parser, ContinuationAtEndOfFile) {
  auto f = p("FROM a\nRUN echo \\");
  EXPECT_EQ(f.nodes[1].args[0], "echo");  // the line is trimmed like BuildKit's splitCommand
}

TEST(Parser, EscapeDirectiveBacktick) {
  auto f = p("# escape=`\nFROM windows\nCOPY testfile.txt c:\\\nRUN dir c:\\\nRUN a `\n  b\n");
  EXPECT_EQ(f.escape, '`');
  ASSERT_EQ(f.nodes.size(), 4u);
  EXPECT_EQ(f.nodes[1].args, (std::vector<std::string>{"testfile.txt", "c:\\"}));
  EXPECT_EQ(f.nodes[2].args[0], "dir c:\\");
  EXPECT_EQ(f.nodes[3].args[0], "a   b");
}

TEST(Parser, DirectiveSpellings) {
  EXPECT_EQ(p("#escape=`\nFROM a\n").escape, '`');
  EXPECT_EQ(p("#  ESCAPE  =  `  \nFROM a\n").escape, '`');
  EXPECT_EQ(p("# escape=\\\nFROM a\n").escape, '\\');
}

TEST(Parser, DirectivesOnlyAtTheTop) {
  // After an instruction, a comment, a blank line or an unknown directive it is a comment.
  EXPECT_EQ(p("FROM a\n# escape=`\nRUN x\n").escape, '\\');
  EXPECT_EQ(p("# about this file\n# escape=`\nFROM a\n").escape, '\\');
  EXPECT_EQ(p("\n# escape=`\nFROM a\n").escape, '\\');
  EXPECT_EQ(p("# unknowndirective=value\n# escape=`\nFROM a\n").escape, '\\');
}

TEST(Parser, DirectiveErrors) {
  EXPECT_EQ(error_of("# escape=`\n# escape=\\\nFROM a\n"),
            "Dockerfile:2: only one escape parser directive can be used");
  EXPECT_NE(error_of("# escape=x\nFROM a\n").find("Dockerfile:1: invalid escape token 'x'"), std::string::npos);
}

TEST(Parser, SyntaxDirectiveRecordedWithWarningCheckIgnored) {
  auto f = p("# syntax=docker/dockerfile:1\n# check=skip=all\nFROM a\n");
  ASSERT_TRUE(f.syntax.has_value());
  EXPECT_EQ(*f.syntax, "docker/dockerfile:1");
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].find("Dockerfile:1:"), std::string::npos);
  EXPECT_EQ(f.nodes[0].start_line, 3);
}

TEST(Parser, ByteOrderMarkAndCrlf) {
  auto f = p("\xEF\xBB\xBF# escape=`\r\nFROM a\r\nRUN x `\r\n y\r\n");
  EXPECT_EQ(f.escape, '`');
  EXPECT_EQ(f.nodes[1].args[0], "x  y");
}

TEST(Parser, JsonFormAndFallback) {
  auto f = p("FROM a\nCMD [\"echo\", \"a\\\"b\", \"\\u00e9\"]\nCMD [echo, hi]\nCMD [\"unterminated\"\nCMD []\n");
  EXPECT_TRUE(f.nodes[1].json);
  EXPECT_EQ(f.nodes[1].args, (std::vector<std::string>{"echo", "a\"b", "\xC3\xA9"}));
  EXPECT_FALSE(f.nodes[2].json);
  EXPECT_EQ(f.nodes[2].args, std::vector<std::string>{"[echo, hi]"});
  EXPECT_FALSE(f.nodes[3].json);
  EXPECT_TRUE(f.nodes[4].json);
  EXPECT_TRUE(f.nodes[4].args.empty());
}

TEST(Parser, JsonWithEscapedNewlineAndContinuation) {
  auto f = p("FROM a\nRUN [\"sh\", \"-c\", \\\n  \"printf 'a\\\\nb\\n'\"]\n");
  ASSERT_TRUE(f.nodes[1].json);
  EXPECT_EQ(f.nodes[1].args, (std::vector<std::string>{"sh", "-c", "printf 'a\\nb\n'"}));
}

TEST(Parser, JsonOfNonStringsIsAnError) {
  EXPECT_EQ(error_of("FROM a\nCMD [1, 2]\n"),
            "Dockerfile:2: when using JSON array syntax, arrays must be comprised of strings only");
}

TEST(Parser, JsonTrailingGarbageFallsBackToShellForm) {
  auto f = p("FROM a\nENTRYPOINT [\"a\"] b\n");
  EXPECT_FALSE(f.nodes[1].json);
  EXPECT_EQ(f.nodes[1].args[0], "[\"a\"] b");
}

TEST(Parser, FlagsComeOffTheFront) {
  auto f = p("FROM a\nCOPY --from=build --chown=\"1 2\" --link src dst\nRUN --mount=type=cache,target=/x -- --notaflag\n");
  EXPECT_EQ(f.nodes[1].flags, (std::vector<std::string>{"--from=build", "--chown=1 2", "--link"}));
  EXPECT_EQ(f.nodes[1].args, (std::vector<std::string>{"src", "dst"}));
  EXPECT_EQ(f.nodes[2].flags, std::vector<std::string>{"--mount=type=cache,target=/x"});
  EXPECT_EQ(f.nodes[2].args, std::vector<std::string>{"--notaflag"});
}

TEST(Parser, EnvForms) {
  auto f = p("FROM a\nENV a=1 b=\"two words\" c=x\\ y\nENV legacy value with spaces\nLABEL \"com.x\"=v\n");
  EXPECT_EQ(f.nodes[1].args, (std::vector<std::string>{"a", "1", "b", "\"two words\"", "c", "x\\ y"}));
  EXPECT_FALSE(f.nodes[1].legacy_kv);
  EXPECT_EQ(f.nodes[2].args, (std::vector<std::string>{"legacy", "value with spaces"}));
  EXPECT_TRUE(f.nodes[2].legacy_kv);
  EXPECT_EQ(f.nodes[3].args, (std::vector<std::string>{"\"com.x\"", "v"}));
}

TEST(Parser, EnvErrors) {
  EXPECT_EQ(error_of("FROM a\nENV onlykey\n"), "Dockerfile:2: ENV must have two arguments (ENV key=value)");
  EXPECT_NE(error_of("FROM a\nENV a=1 b\n").find("Dockerfile:2: Syntax error - can't find = in \"b\""),
            std::string::npos);
}

TEST(Parser, ArgWordsKeepQuotes) {
  auto f = p("FROM a\nARG a b=\"x y\" c=${a:-z}\n");
  EXPECT_EQ(f.nodes[1].args, (std::vector<std::string>{"a", "b=\"x y\"", "c=${a:-z}"}));
}

TEST(Parser, CopyShellFormSplitsOnWhitespaceAndJsonForm) {
  auto f = p("FROM a\nCOPY a b  /dst/\nCOPY [\"a b\", \"/d\"]\nVOLUME /a /b\nVOLUME [\"/c\"]\n");
  EXPECT_EQ(f.nodes[1].args, (std::vector<std::string>{"a", "b", "/dst/"}));
  EXPECT_EQ(f.nodes[2].args, (std::vector<std::string>{"a b", "/d"}));
  EXPECT_TRUE(f.nodes[2].json);
  EXPECT_EQ(f.nodes[3].args, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(f.nodes[4].args, std::vector<std::string>{"/c"});
}

TEST(Parser, HealthcheckSplit) {
  auto f = p("FROM a\nHEALTHCHECK --interval=5m CMD curl -f http://x/ || exit 1\nHEALTHCHECK CMD [\"a\",\"b\"]\n");
  EXPECT_EQ(f.nodes[1].flags, std::vector<std::string>{"--interval=5m"});
  EXPECT_EQ(f.nodes[1].args, (std::vector<std::string>{"CMD", "curl -f http://x/ || exit 1"}));
  EXPECT_FALSE(f.nodes[1].json);
  EXPECT_EQ(f.nodes[2].args, (std::vector<std::string>{"CMD", "a", "b"}));
  EXPECT_TRUE(f.nodes[2].json);
}

TEST(Parser, OnbuildParsesInner) {
  auto f = p("FROM a\nONBUILD ADD . /app/src\n");
  ASSERT_EQ(f.nodes[1].inner.size(), 1u);
  EXPECT_EQ(f.nodes[1].inner[0].keyword, "add");
  EXPECT_EQ(f.nodes[1].inner[0].args, (std::vector<std::string>{".", "/app/src"}));
  EXPECT_EQ(f.nodes[1].args[0], "ADD . /app/src");
}

TEST(Parser, HeredocRun) {
  auto f = p("FROM a\nRUN <<EOF\necho hi\n  echo there\nEOF\nRUN after\n");
  ASSERT_EQ(f.nodes.size(), 3u);
  const Node& r = f.nodes[1];
  ASSERT_EQ(r.heredocs.size(), 1u);
  EXPECT_EQ(r.heredocs[0].name, "EOF");
  EXPECT_EQ(r.heredocs[0].content, "echo hi\n  echo there\n");
  EXPECT_TRUE(r.heredocs[0].expand);
  EXPECT_FALSE(r.heredocs[0].chomp);
  EXPECT_EQ(r.args[0], "<<EOF");
  EXPECT_EQ(r.start_line, 2);
  EXPECT_EQ(r.end_line, 5);
  EXPECT_EQ(f.nodes[2].start_line, 6);
}

TEST(Parser, HeredocChompStripsTabsFromTerminator) {
  auto f = p("FROM a\nRUN <<-EOT\n\techo a\n\t\tEOT\n");
  ASSERT_EQ(f.nodes[1].heredocs.size(), 1u);
  EXPECT_TRUE(f.nodes[1].heredocs[0].chomp);
  EXPECT_EQ(f.nodes[1].heredocs[0].content, "\techo a\n");  // chomped by the instruction layer
  EXPECT_EQ(f.nodes[1].end_line, 4);
}

TEST(Parser, HeredocWithoutChompNeedsExactTerminator) {
  EXPECT_EQ(error_of("FROM a\nRUN <<EOF\necho\n  EOF\n"),
            "Dockerfile:2: unterminated heredoc EOF: no line \"EOF\" before the end of the file");
}

TEST(Parser, HeredocQuotedDelimiterDisablesExpansion) {
  auto f = p("FROM a\nRUN <<\"EOF\"\n$x\nEOF\nRUN <<'E2'\ny\nE2\nRUN <<E\"3\"\nz\nE3\n");
  EXPECT_FALSE(f.nodes[1].heredocs[0].expand);
  EXPECT_EQ(f.nodes[1].heredocs[0].name, "EOF");
  EXPECT_FALSE(f.nodes[2].heredocs[0].expand);
  EXPECT_EQ(f.nodes[2].heredocs[0].name, "E2");
  EXPECT_EQ(f.nodes[3].heredocs[0].name, "E3");
  EXPECT_FALSE(f.nodes[3].heredocs[0].expand);
}

TEST(Parser, SeveralHeredocsAndFileDescriptors) {
  auto f = p("FROM a\nRUN python3 - 3<<A <<B\nfirst\nA\nsecond\nB\n");
  const auto& h = f.nodes[1].heredocs;
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].name, "A");
  EXPECT_EQ(h[0].fd, 3u);
  EXPECT_EQ(h[0].content, "first\n");
  EXPECT_EQ(h[1].name, "B");
  EXPECT_EQ(h[1].content, "second\n");
  EXPECT_EQ(f.nodes[1].end_line, 6);
}

TEST(Parser, CopyHeredoc) {
  auto f = p("FROM a\nCOPY <<EOF /etc/conf\nkey=1\nEOF\n");
  EXPECT_EQ(f.nodes[1].args, (std::vector<std::string>{"<<EOF", "/etc/conf"}));
  ASSERT_EQ(f.nodes[1].heredocs.size(), 1u);
  EXPECT_EQ(f.nodes[1].heredocs[0].content, "key=1\n");
}

TEST(Parser, QuotedHeredocMarkerIsNotAHeredoc) {
  // "a<<b" does not start with <<; quoted markers are text.
  auto f = p("FROM a\nRUN echo \"<<EOF\"\nRUN echo a<<b\n");
  EXPECT_TRUE(f.nodes[1].heredocs.empty());
  EXPECT_TRUE(f.nodes[2].heredocs.empty());
  EXPECT_EQ(f.nodes.size(), 3u);
}

TEST(Parser, HeredocsOnlyForRunCopyAdd) {
  auto f = p("FROM a\nCMD cat <<EOF\nLABEL x=y\n");
  EXPECT_EQ(f.nodes.size(), 3u);
  EXPECT_TRUE(f.nodes[1].heredocs.empty());
}

TEST(Parser, EmptyFileIsAnError) {
  EXPECT_EQ(error_of("# just a comment\n\n"), "Dockerfile:1: file with no instructions");
  EXPECT_EQ(error_of(""), "Dockerfile:1: file with no instructions");
}

TEST(Parser, UsesTheGivenFilenameInErrors) {
  try {
    parse("FROM a\nCMD [1]\n", "build/Containerfile");
    FAIL() << "expected an error";
  } catch (const kiln::UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("build/Containerfile:2:", 0), 0u);
  }
}

TEST(Parser, LoneEscapeLineContinues) {
  auto f = p("FROM a\n\\\nRUN x\n");
  ASSERT_EQ(f.nodes.size(), 2u);
  EXPECT_EQ(f.nodes[1].keyword, "run");
  EXPECT_EQ(f.nodes[1].start_line, 2);
}
