// Feeds many generated, mostly malformed Dockerfiles through the whole
// pipeline: every failure must be a kiln::UsageError naming the file, never
// another exception (or, under the sanitizer build, undefined behaviour).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/error.h"
#include "dockerfile/evaluate.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"

using namespace kiln::dockerfile;

namespace {
const char* const kPieces[] = {
    "FROM", "from", "RUN", "COPY", "ADD", "ENV", "ARG", "LABEL", "EXPOSE", "WORKDIR", "USER", "VOLUME", "ONBUILD",
    "HEALTHCHECK", "SHELL", "CMD", "ENTRYPOINT", "STOPSIGNAL", "MAINTAINER", " ", " ", " ", "\t", "\n", "\n", "\\\n",
    "`\n", "# escape=`\n", "# syntax=x\n", "#", "\"", "'", "[", "]", ",", "=", "$", "${", "}", ":-", ":?", "<<", "<<-",
    "EOF", "\nEOF\n", "--from=", "--mount=", "type=cache,target=/x", "--chown=", "--platform=", "AS", "a", "b", "0",
    "1", "/x", "scratch", "NONE", "CMD", "--interval=", "5s", "80/tcp", "-", "\\", "\xC3\xA9", "\x01", "SIGTERM",
};

std::string generate(std::mt19937& rng) {
  std::uniform_int_distribution<size_t> pick(0, sizeof(kPieces) / sizeof(kPieces[0]) - 1);
  std::uniform_int_distribution<int> len(1, 40);
  std::string s = "FROM a\n";
  for (int i = len(rng); i > 0; --i) s += kPieces[pick(rng)];
  return s;
}
}  // namespace

TEST(Robustness, GeneratedInputsFailOnlyWithUsageErrors) {
  std::mt19937 rng(20261122);
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    const std::string text = generate(rng);
    try {
      ParsedFile f = parse(text, "Dockerfile");
      PlanOptions o;
      o.build_args = {{"a", "1"}, {"HTTP_PROXY", "p"}};
      Plan p = make_plan(f, o);
      for (int st = 0; st < static_cast<int>(p.stages.size()); ++st) {
        BaseConfig base;
        base.onbuild = {"RUN x"};
        evaluate_stage(p, st, base);
      }
      ++parsed;
    } catch (const kiln::UsageError& e) {
      ++rejected;
      EXPECT_EQ(std::string(e.what()).rfind("Dockerfile", 0), 0u) << "input: " << text << "\nerror: " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "non-usage exception: " << e.what() << "\ninput: " << text;
    }
  }
  // Both outcomes must occur, or the generator tests nothing.
  EXPECT_GT(parsed, 10);
  EXPECT_GT(rejected, 100);
}
