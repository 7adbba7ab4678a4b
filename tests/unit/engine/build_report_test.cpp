#include "engine/build_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace kiln::engine {
namespace {

StageReport stage(const std::string& platform, double unpack, double run) {
  StageReport s;
  s.platform = platform;
  s.unpack_seconds = unpack;
  s.total_seconds = unpack + run;
  StepReport st;
  st.run_seconds = run;
  s.steps.push_back(st);
  return s;
}

TEST(BuildReport, PhasesAddUpPerPlatformAndInAll) {
  BuildReport r;
  r.stages = {stage("linux/amd64", 0.5, 1.0), stage("linux/arm64", 0.25, 2.0), stage("linux/arm64", 0.25, 3.0)};
  auto j = nlohmann::json::parse(r.to_json());
  EXPECT_DOUBLE_EQ(j["run_seconds"].get<double>(), 6.0);
  EXPECT_DOUBLE_EQ(j["platforms"]["linux/amd64"]["run_seconds"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j["platforms"]["linux/arm64"]["run_seconds"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(j["platforms"]["linux/arm64"]["unpack_seconds"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["platforms"]["linux/arm64"]["stage_seconds"].get<double>(), 5.5);
  EXPECT_EQ(j["stages"][1]["platform"], "linux/arm64");
}

TEST(BuildReport, NoPlatformsWhenStagesNameNone) {
  BuildReport r;
  r.stages = {stage("", 0.1, 0.2)};
  auto j = nlohmann::json::parse(r.to_json());
  EXPECT_TRUE(j["platforms"].empty());
}

}  // namespace
}  // namespace kiln::engine
