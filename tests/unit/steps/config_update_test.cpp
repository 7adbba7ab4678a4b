#include <gtest/gtest.h>

#include "dockerfile/evaluate.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
#include "steps/config_update.h"

using namespace kiln;

namespace {

// Runs a one-stage Dockerfile's metadata steps over a base config, the way
// the stage builder does.
image::Config apply_all(const std::string& dockerfile, image::Config base) {
  auto parsed = dockerfile::parse(dockerfile, "Dockerfile");
  auto plan = dockerfile::make_plan(parsed, {});
  dockerfile::BaseConfig bc;
  bc.env = base.env();
  auto steps = dockerfile::evaluate_stage(plan, plan.target, bc);
  steps::StageFlags flags;
  for (const auto& s : steps) steps::apply_metadata(s, base, flags);
  return base;
}

image::Config base_with_cmd() {
  image::Config c;
  c.set_env({"PATH=/bin"});
  c.set_cmd(std::vector<std::string>{"sh"});
  c.set_labels({{"from.base", "yes"}});
  return c;
}

}  // namespace

TEST(ConfigUpdate, MetadataLandsLikeDocker) {
  auto c = apply_all(
      "FROM x\nENV A=1 B=two\nLABEL l1=v1 \"l 2\"=\"v 2\"\nUSER app:app\nWORKDIR /srv\nWORKDIR sub\n"
      "EXPOSE 80 53/udp\nVOLUME /data\nSTOPSIGNAL SIGTERM\nMAINTAINER me\n",
      base_with_cmd());
  EXPECT_EQ(c.env(), (std::vector<std::string>{"PATH=/bin", "A=1", "B=two"}));
  auto labels = c.labels();
  EXPECT_EQ(labels["l1"], "v1");
  EXPECT_EQ(labels["l 2"], "v 2");
  EXPECT_EQ(labels["from.base"], "yes");
  EXPECT_EQ(c.user(), "app:app");
  EXPECT_EQ(c.working_dir(), "/srv/sub");
  EXPECT_EQ(c.exposed_ports(), (std::set<std::string>{"80/tcp", "53/udp"}));
  EXPECT_EQ(c.volumes(), (std::set<std::string>{"/data"}));
  EXPECT_EQ(c.stop_signal(), "SIGTERM");
  EXPECT_EQ(c.author(), "me");
  EXPECT_EQ(c.cmd(), (std::vector<std::string>{"sh"}));  // untouched
}

TEST(ConfigUpdate, EntrypointClearsInheritedCmdOnly) {
  auto c = apply_all("FROM x\nENTRYPOINT [\"/app\"]\n", base_with_cmd());
  EXPECT_EQ(c.entrypoint(), (std::vector<std::string>{"/app"}));
  EXPECT_FALSE(c.cmd().has_value());
  auto d = apply_all("FROM x\nCMD [\"--help\"]\nENTRYPOINT [\"/app\"]\n", base_with_cmd());
  EXPECT_EQ(d.cmd(), (std::vector<std::string>{"--help"}));
}

TEST(ConfigUpdate, ShellFormUsesShell) {
  auto c = apply_all("FROM x\nCMD echo hi\n", base_with_cmd());
  EXPECT_EQ(c.cmd(), (std::vector<std::string>{"/bin/sh", "-c", "echo hi"}));
}

TEST(ConfigUpdate, HealthcheckAndOnbuild) {
  auto c = apply_all("FROM x\nHEALTHCHECK --interval=5s --retries=3 CMD curl -f http://localhost/\nONBUILD RUN echo child\n",
                     base_with_cmd());
  auto hc = c.healthcheck();
  ASSERT_TRUE(hc.has_value());
  EXPECT_EQ(hc->test.front(), "CMD-SHELL");
  EXPECT_EQ(hc->interval, 5'000'000'000LL);
  EXPECT_EQ(hc->retries, 3);
  EXPECT_EQ(c.on_build(), (std::vector<std::string>{"RUN echo child"}));
}

TEST(ConfigUpdate, FileStepsAreNotMetadata) {
  auto parsed = dockerfile::parse("FROM x\nRUN true\nCOPY a /b\n", "Dockerfile");
  auto plan = dockerfile::make_plan(parsed, {});
  auto steps = dockerfile::evaluate_stage(plan, 0, dockerfile::BaseConfig{});
  image::Config c;
  steps::StageFlags f;
  for (const auto& s : steps) EXPECT_FALSE(steps::apply_metadata(s, c, f)) << s.instruction.original;
}
