#pragma once
// What the engine's unit tests build with: a temporary root, work dir and
// context (ctx/hello.txt, ctx/a.txt, ctx/b.txt), no registry, no sandbox.
#include <filesystem>
#include <string>

#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
#include "engine/stage_builder.h"
#include "engine/work_dir.h"
#include "fs/ignore_list.h"
#include "support/temp_dir.h"

namespace kiln::testing {

struct BuildEnvFixture {
  TempDir tmp{"kiln-stage"};
  fs::IgnoreList ignore;
  log::Logger log;
  engine::WorkDir work{tmp.path() / "kaniko"};
  engine::BuildEnv env;

  BuildEnvFixture() {
    std::filesystem::create_directories(tmp.path() / "root");
    tmp.write("ctx/hello.txt", "hello\n");
    tmp.write("ctx/a.txt", "a\n");
    tmp.write("ctx/b.txt", "b\n");
    env.root = tmp.path() / "root";
    env.ignore = &ignore;
    env.work = &work;
    env.scratch = work.scratch();
    env.log = &log;
    env.context_dir = tmp.path() / "ctx";
    env.created = "2026-01-02T03:04:05Z";
  }
};

inline dockerfile::Plan plan_of(const std::string& text) {
  return dockerfile::make_plan(dockerfile::parse(text, "Dockerfile"), {});
}

}  // namespace kiln::testing
