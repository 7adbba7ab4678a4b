#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "base/error.h"
#include "log/log.h"

using namespace kiln::log;

namespace {
std::string capture(Logger::Options o, Level l, const char* msg) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  o.out = f;
  Logger lg(o);
  lg.write(l, msg);
  fclose(f);
  std::string s(buf, len);
  free(buf);
  return s;
}
}  // namespace

TEST(Logger, TextLooksLikeKaniko) {
  EXPECT_EQ(capture({}, Level::Info, "Retrieving image manifest busybox"),
            "INFO[0000] Retrieving image manifest busybox\n");
  EXPECT_EQ(capture({}, Level::Warn, "w"), "WARN[0000] w\n");
}

TEST(Logger, LevelFilters) {
  EXPECT_EQ(capture({}, Level::Debug, "hidden"), "");
  Logger::Options o;
  o.level = Level::Debug;
  EXPECT_EQ(capture(o, Level::Debug, "shown"), "DEBU[0000] shown\n");
}

TEST(Logger, JsonEscapes) {
  Logger::Options o;
  o.format = Format::Json;
  auto s = capture(o, Level::Error, "a\"b\n");
  EXPECT_NE(s.find("\"level\":\"error\""), std::string::npos);
  EXPECT_NE(s.find("\"msg\":\"a\\\"b\\n\""), std::string::npos);
}

TEST(Logger, ParseNames) {
  EXPECT_EQ(parse_level("debug"), Level::Debug);
  EXPECT_THROW(parse_level("loud"), kiln::UsageError);
  EXPECT_EQ(parse_format("json"), Format::Json);
}

TEST(Logger, AStageLoggerPrefixesLinesAndRawOutput) {
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  Logger::Options o;
  o.out = f;
  o.level = Level::Info;
  {
    Logger parent(o);
    Logger stage(parent, "[stage 1 one] ");
    stage.info("RUN make");
    stage.debug("not shown: the parent's level applies");
    // A command's output in pieces that split lines anywhere.
    stage.raw("first li");
    stage.raw("ne\nsecond line\nthi");
    stage.raw("rd\n");
    parent.info("plain");
  }
  fclose(f);
  std::string s(buf, len);
  free(buf);
  EXPECT_EQ(s,
            "INFO[0000] [stage 1 one] RUN make\n"
            "[stage 1 one] first line\n[stage 1 one] second line\n[stage 1 one] third\n"
            "INFO[0000] plain\n");
}
