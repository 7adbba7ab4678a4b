// kiln's parser, lexer and expansion held against data files
// (tests/data/dockerfile/): cases written as data, so adding one needs no
// code, and the same files drive the BuildKit comparison in
// tests/e2e/test_buildkit_fidelity.py.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "dockerfile/parser.h"
#include "dockerfile/shell_lexer.h"

using namespace kiln::dockerfile;
namespace fsys = std::filesystem;

namespace {

const fsys::path kData = fsys::path(KILN_TEST_DATA) / "dockerfile";

std::string slurp(const fsys::path& p) {
  std::ifstream in(p, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << p;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  for (;;) {
    auto j = line.find('\t', i);
    out.push_back(line.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) return out;
    i = j + 1;
  }
}

// A case file: "env K=V" lines, "#" comments, and TAB-separated cases.
struct CaseFile {
  std::vector<std::string> env;
  std::vector<std::pair<int, std::vector<std::string>>> cases;  // line number, fields
};

CaseFile read_cases(const std::string& name) {
  CaseFile f;
  std::istringstream in(slurp(kData / name));
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("env ", 0) == 0) {
      f.env.push_back(line.substr(4));
      continue;
    }
    f.cases.emplace_back(n, split_tabs(line));
  }
  return f;
}

// One line per node: keyword, flags, args (quoted), forms and heredocs.
std::string quote(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    if (c == '\t') {
      o += "\\t";
      continue;
    }
    o += c;
  }
  return o + "\"";
}

void dump(const Node& n, std::string& out) {
  out += n.keyword;
  for (const auto& f : n.flags) out += " flag:" + quote(f);
  if (n.json) out += " json";
  if (n.legacy_kv) out += " legacy";
  for (const auto& a : n.args) out += " " + quote(a);
  for (const auto& h : n.heredocs) out += " heredoc:" + quote(h.name) + (h.expand ? "" : ":noexpand") + "=" + quote(h.content);
  out += "\n";
  for (const auto& inner : n.inner) {
    out += "  ";
    dump(inner, out);
  }
}

}  // namespace

TEST(Corpus, Expansion) {
  CaseFile f = read_cases("expansion.txt");
  ASSERT_GT(f.cases.size(), 40u);
  ShellLexer lexer('\\');
  EnvLookup env = env_from_list(f.env);
  for (const auto& [line, fields] : f.cases) {
    ASSERT_TRUE(fields.size() == 2 || (fields.size() == 3 && fields[2] == "newer"))
        << "expansion.txt:" << line << ": expected <word> TAB <result> [TAB newer]";
    const std::string& want = fields[1];
    if (want == "!error") {
      EXPECT_THROW(lexer.process_word(fields[0], env), kiln::UsageError) << "expansion.txt:" << line << ": " << fields[0];
      continue;
    }
    try {
      EXPECT_EQ(lexer.process_word(fields[0], env), want) << "expansion.txt:" << line << ": " << fields[0];
    } catch (const std::exception& e) {
      ADD_FAILURE() << "expansion.txt:" << line << ": " << fields[0] << ": " << e.what();
    }
  }
}

TEST(Corpus, Words) {
  CaseFile f = read_cases("words.txt");
  ASSERT_GT(f.cases.size(), 10u);
  ShellLexer lexer('\\');
  EnvLookup env = env_from_list(f.env);
  for (const auto& [line, fields] : f.cases) {
    std::vector<std::string> want(fields.begin() + 1, fields.end());
    EXPECT_EQ(lexer.process_words(fields[0], env), want) << "words.txt:" << line << ": " << fields[0];
  }
}

// parser/<name>.Dockerfile parses to parser/<name>.nodes, or fails with the
// message in parser/<name>.error. KILN_CORPUS_WRITE=1 writes the .nodes of
// kiln's parser instead, for a new case (to be read and checked by hand).
TEST(Corpus, Parser) {
  int seen = 0;
  for (const auto& entry : fsys::directory_iterator(kData / "parser")) {
    if (entry.path().extension() != ".Dockerfile") continue;
    ++seen;
    fsys::path base = entry.path();
    base.replace_extension();
    std::string text = slurp(entry.path());
    std::string name = base.filename().string();
    if (fsys::exists(base.string() + ".error")) {
      std::string want = slurp(base.string() + ".error");
      while (!want.empty() && want.back() == '\n') want.pop_back();
      try {
        parse(text, "Dockerfile");
        ADD_FAILURE() << name << ": parsed, expected the error " << want;
      } catch (const kiln::UsageError& e) {
        EXPECT_EQ(std::string(e.what()), want) << name;
      }
      continue;
    }
    std::string got;
    try {
      ParsedFile pf = parse(text, "Dockerfile");
      for (const auto& n : pf.nodes) dump(n, got);
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": " << e.what();
      continue;
    }
    if (std::getenv("KILN_CORPUS_WRITE")) {  // writing new golden files: review them before committing
      std::ofstream(base.string() + ".nodes", std::ios::binary) << got;
      continue;
    }
    EXPECT_EQ(got, slurp(base.string() + ".nodes")) << name;
  }
  EXPECT_GE(seen, 8) << "parser cases in " << (kData / "parser");
}
