#include <gtest/gtest.h>

#include "base/error.h"
#include "dockerfile/heredoc.h"
#include "dockerfile/parser.h"

using namespace kiln::dockerfile;

namespace {
std::vector<std::string> names(std::string_view line) {
  std::vector<std::string> out;
  for (const auto& h : find_heredocs(line)) out.push_back(h.name);
  return out;
}
}  // namespace

TEST(Heredoc, DelimiterForms) {
  EXPECT_EQ(names("<<EOF"), std::vector<std::string>{"EOF"});
  EXPECT_EQ(names("<<-EOF"), std::vector<std::string>{"EOF"});
  EXPECT_EQ(names("<<- EOF"), std::vector<std::string>{"EOF"});
  EXPECT_EQ(names("<< EOF"), std::vector<std::string>{"EOF"});
  EXPECT_EQ(names("<<  EOF  > foo"), std::vector<std::string>{"EOF"});
  EXPECT_EQ(names("<< -EOF"), std::vector<std::string>{"-EOF"});
  EXPECT_EQ(names("4<<EOF"), std::vector<std::string>{"EOF"});
  EXPECT_EQ(names("<<EOF <<EOF2"), (std::vector<std::string>{"EOF", "EOF2"}));
  EXPECT_EQ(names("cat <<'one two' | sh"), std::vector<std::string>{"one two"});
  EXPECT_EQ(names("<<$EOF"), std::vector<std::string>{"$EOF"});
}

TEST(Heredoc, NotHeredocs) {
  EXPECT_TRUE(names("").empty());
  EXPECT_TRUE(names("EOF").empty());
  EXPECT_TRUE(names("<<").empty());
  EXPECT_TRUE(names("<<-").empty());
  EXPECT_TRUE(names("<EOF").empty());
  EXPECT_TRUE(names("<<<EOF").empty());
  EXPECT_TRUE(names("'<<EOF'").empty());
  EXPECT_TRUE(names("\"<<EOF\"").empty());
  EXPECT_TRUE(names("[\"<<EOF\"]").empty());
}

TEST(Heredoc, QuotingDecidesExpansion) {
  auto a = find_heredocs("<<eo'f'");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].name, "eof");
  EXPECT_FALSE(a[0].expand);
  auto b = find_heredocs("<<eo\\'f");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].name, "eo'f");
  EXPECT_TRUE(b[0].expand);  // an escaped quote is no quoting
  auto c = find_heredocs("<<'e'o\\'f");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].name, "eo'f");
  EXPECT_FALSE(c[0].expand);
  auto d = find_heredocs("<<EO\"F\"");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].name, "EOF");
  EXPECT_FALSE(d[0].expand);
}

TEST(Heredoc, UnterminatedQuoteInDelimiterIsAnError) {
  EXPECT_THROW(find_heredocs("<<'EOF"), kiln::UsageError);
  EXPECT_THROW(find_heredocs("<<EOF\""), kiln::UsageError);
}

TEST(Heredoc, Chomp) {
  EXPECT_EQ(chomp_heredoc("\thello\n\t\tworld\n  keep\n"), "hello\nworld\n  keep\n");
  EXPECT_EQ(chomp_heredoc(""), "");
}

TEST(Heredoc, ParserCases) {
  auto f = parse(
      "FROM alpine\nUSER <<INVALID\nINVALID\nRUN <<EMPTY\nEMPTY\nRUN 3<<EMPTY2\nEMPTY2\nRUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2\n"
      "RUN <<COMMENT\n# internal comment\necho hi # trailing\nCOMMENT\nCOPY <<X <<Y /dest\nY\nX\nX\nY\nRUN <<COMPLEX python3\nprint('hi')\nCOMPLEX\n"
      "COPY <<EOF /quotes\n\"foo\"\n'bar'\nEOF\n",
      "Dockerfile");
  ASSERT_EQ(f.nodes.size(), 10u);
  EXPECT_TRUE(f.nodes[1].heredocs.empty());
  EXPECT_EQ(f.nodes[2].keyword, "invalid");  // the line after USER <<INVALID is an instruction
  EXPECT_EQ(f.nodes[3].heredocs.at(0), (Heredoc{"EMPTY", "", true, false, 0}));
  EXPECT_EQ(f.nodes[4].heredocs.at(0), (Heredoc{"EMPTY2", "", true, false, 3}));
  EXPECT_EQ(f.nodes[5].heredocs.at(0), (Heredoc{"UNINDENT2", "\tbaz\n\tquux\n", true, true, 0}));
  EXPECT_EQ(f.nodes[6].heredocs.at(0).content, "# internal comment\necho hi # trailing\n");
  ASSERT_EQ(f.nodes[7].heredocs.size(), 2u);
  EXPECT_EQ(f.nodes[7].heredocs[0], (Heredoc{"X", "Y\n", true, false, 0}));
  EXPECT_EQ(f.nodes[7].heredocs[1], (Heredoc{"Y", "X\n", true, false, 0}));
  EXPECT_EQ(f.nodes[8].heredocs.at(0).content, "print('hi')\n");
  EXPECT_EQ(f.nodes[9].heredocs.at(0).content, "\"foo\"\n'bar'\n");
}

TEST(Heredoc, UnterminatedQuoteErrorHasLocation) {
  try {
    parse("FROM a\nRUN cat <<'EOF\nx\n", "Dockerfile");
    FAIL();
  } catch (const kiln::UsageError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("Dockerfile:2: unterminated quote in heredoc delimiter", 0), 0u) << e.what();
  }
}
