#include <gtest/gtest.h>

#include "base/error.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan_of.h"
#include "dockerfile/plan.h"
#include "support/usage_error.h"

using namespace kiln::dockerfile;

namespace {

std::string error_of(const std::string& text, PlanOptions o = {}) {
  return kiln::testing::usage_error_of([&] { plan(text, o); });
}

PlanOptions with_args(std::vector<std::pair<std::string, std::optional<std::string>>> a) {
  PlanOptions o;
  o.build_args = std::move(a);
  return o;
}
}  // namespace

TEST(Plan, SingleStage) {
  auto p = plan("FROM alpine:3.19\nRUN echo\nCMD [\"sh\"]\n");
  ASSERT_EQ(p.stages.size(), 1u);
  EXPECT_EQ(p.stages[0].base_image, "alpine:3.19");
  EXPECT_FALSE(p.stages[0].base_stage.has_value());
  EXPECT_EQ(p.stages[0].instructions.size(), 2u);
  EXPECT_EQ(p.stages[0].line, 1);
  EXPECT_EQ(p.target, 0);
  EXPECT_EQ(p.build_order, std::vector<int>{0});
  ASSERT_EQ(p.stages[0].dependencies.size(), 1u);
  EXPECT_EQ(p.stages[0].dependencies[0],
            (StageDependency{StageDependency::Kind::Image, -1, "alpine:3.19", "FROM", 1}));
}

TEST(Plan, ScratchHasNoDependency) {
  auto p = plan("FROM scratch\nCOPY a /\n");
  EXPECT_EQ(p.stages[0].base_image, "scratch");
  EXPECT_TRUE(p.stages[0].dependencies.empty());
}

TEST(Plan, GlobalArgsInFrom) {
  const std::string df = "ARG VERSION=latest\nARG REPO=busybox\nFROM ${REPO}:${VERSION}\nFROM $REPO:${VERSION:-x}-glibc\n";
  auto p = plan(df);
  EXPECT_EQ(p.stages[0].base_image, "busybox:latest");
  EXPECT_EQ(p.stages[1].base_image, "busybox:latest-glibc");
  auto q = plan(df, with_args({{"VERSION", "1.36"}}));
  EXPECT_EQ(q.stages[0].base_image, "busybox:1.36");
  ASSERT_EQ(q.args.global.size(), 2u);
  EXPECT_EQ(q.args.global[0], (ResolvedArg{"VERSION", "1.36"}));
}

TEST(Plan, GlobalArgDefaultsReferenceEarlierArgs) {
  auto p = plan("ARG A=alpine\nARG B=${A}:3\nARG C\nFROM $B\n");
  EXPECT_EQ(p.stages[0].base_image, "alpine:3");
  EXPECT_EQ(p.args.global[2], (ResolvedArg{"C", std::nullopt}));
}

TEST(Plan, BareBuildArgWithoutValueCountsAsNotGiven) {
  auto p = plan("ARG V=def\nFROM x:$V\n", with_args({{"V", std::nullopt}}));
  EXPECT_EQ(p.stages[0].base_image, "x:def");
}

TEST(Plan, PlatformArgsInFrom) {
  PlanOptions o;
  o.target_platform.architecture = "arm64";
  o.target_platform.variant = "v8";
  o.build_platform.architecture = "amd64";
  auto p = plan("FROM --platform=$BUILDPLATFORM golang AS build\nFROM --platform=${TARGETPLATFORM} img-$TARGETARCH$TARGETVARIANT\n", o);
  EXPECT_EQ(p.stages[0].platform, "linux/amd64");
  EXPECT_EQ(p.stages[1].platform, "linux/arm64/v8");
  EXPECT_EQ(p.stages[1].base_image, "img-arm64v8");
}

TEST(Plan, NoPlatformFlagLeavesPlatformEmpty) {
  EXPECT_EQ(plan("FROM a\n").stages[0].platform, "");
}

TEST(Plan, StagesNamesAndBaseStage) {
  auto p = plan("FROM golang AS Build\nRUN make\nFROM build AS test\nFROM alpine\nCOPY --from=build /out /\n");
  ASSERT_EQ(p.stages.size(), 3u);
  EXPECT_EQ(p.stages[0].name, "build");
  EXPECT_EQ(p.stages[1].base_stage, 0);
  EXPECT_EQ(p.stages[1].dependencies[0], (StageDependency{StageDependency::Kind::Stage, 0, "", "FROM", 3}));
  EXPECT_FALSE(p.stages[2].base_stage.has_value());
  ASSERT_EQ(p.stages[2].dependencies.size(), 2u);
  EXPECT_EQ(p.stages[2].dependencies[1], (StageDependency{StageDependency::Kind::Stage, 0, "", "COPY --from", 5}));
  EXPECT_EQ(p.find_stage("BUILD"), 0);
  EXPECT_EQ(p.find_stage("2"), 2);
  EXPECT_FALSE(p.find_stage("3").has_value());
  EXPECT_FALSE(p.find_stage("nope").has_value());
}

TEST(Plan, CopyFromIndexAndImage) {
  auto p = plan("FROM a\nFROM b\nCOPY --from=0 /x /x\nCOPY --from=nginx:latest /etc/nginx/nginx.conf /nginx.conf\n");
  const auto& d = p.stages[1].dependencies;
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[1].kind, StageDependency::Kind::Stage);
  EXPECT_EQ(d[1].stage, 0);
  EXPECT_EQ(d[2].kind, StageDependency::Kind::Image);
  EXPECT_EQ(d[2].image, "nginx:latest");
}

TEST(Plan, CopyFromExpandsArgs) {
  auto p = plan("FROM a AS one\nFROM b AS two\nFROM c\nARG SRC=one\nCOPY --from=$SRC /x /x\n",
                with_args({{"SRC", "two"}}));
  EXPECT_EQ(p.stages[2].dependencies.back().stage, 1);
}

TEST(Plan, RunMountFromIsADependency) {
  auto p = plan("FROM a AS deps\nFROM b\nRUN --mount=type=bind,from=deps,target=/d ls /d\n");
  EXPECT_EQ(p.stages[1].dependencies.back(),
            (StageDependency{StageDependency::Kind::Stage, 0, "", "RUN --mount from", 3}));
}

TEST(Plan, CopyFromLaterStageOrItselfIsAnError) {
  EXPECT_EQ(error_of("FROM a AS one\nCOPY --from=two /x /x\nFROM b AS two\n"),
            "Dockerfile:2: COPY --from=two refers to stage \"two\" on line 3, which comes later: move that stage "
            "above this one");
  EXPECT_EQ(error_of("FROM a AS one\nCOPY --from=one /x /x\n"),
            "Dockerfile:2: COPY --from=one refers to the stage it is in: a stage cannot copy from itself");
  EXPECT_EQ(error_of("FROM a\nCOPY --from=0 /x /x\n"),
            "Dockerfile:2: COPY --from=0 refers to stage 0, which is not defined before this one (stage 0)");
  EXPECT_EQ(error_of("FROM a\nFROM b\nCOPY --from=5 /x /x\n"),
            "Dockerfile:3: COPY --from=5 refers to stage 5, which is not defined before this one (stage 1)");
}

TEST(Plan, FromLaterStageNameIsAnImage) {
  // FROM can only name earlier stages: a later name is an image reference.
  auto p = plan("FROM two AS one\nFROM b AS two\n");
  EXPECT_FALSE(p.stages[0].base_stage.has_value());
  EXPECT_EQ(p.stages[0].dependencies[0].kind, StageDependency::Kind::Image);
}

TEST(Plan, TargetSelectsStageAndSkipsUnused) {
  const std::string df =
      "FROM a AS base\nFROM base AS build\nFROM x AS unrelated\nFROM alpine AS final\nCOPY --from=build / /\nFROM z\n";
  PlanOptions o;
  o.targets = {"FINAL"};
  auto keep = plan(df, o);
  EXPECT_EQ(keep.target, 3);
  EXPECT_EQ(keep.build_order, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_FALSE(keep.stages[4].needed);
  o.skip_unused_stages = true;
  auto skip = plan(df, o);
  EXPECT_EQ(skip.build_order, (std::vector<int>{0, 1, 3}));
  EXPECT_FALSE(skip.stages[2].needed);
  EXPECT_TRUE(skip.stages[0].needed);
  PlanOptions last;
  last.skip_unused_stages = true;
  EXPECT_EQ(plan(df, last).build_order, std::vector<int>{4});
}

TEST(Plan, TargetNotFound) {
  PlanOptions o;
  o.targets = {"nope"};
  EXPECT_EQ(error_of("FROM a AS one\nFROM b AS two\n", o),
            "Dockerfile: --target stage \"nope\" could not be found; stages are: one, two");
  EXPECT_EQ(error_of("FROM a\n", o),
            "Dockerfile: --target stage \"nope\" could not be found; the Dockerfile names no stages (use FROM image AS name)");
}

namespace {
// a, then b which nothing uses, then c FROM a, then d.
const std::string kFourStages =
    "FROM x AS a\nRUN true\nFROM y AS b\nFROM a AS c\nRUN true\nFROM z AS d\n";

PlanOptions targets(std::vector<std::string> t, bool skip_unused = false) {
  PlanOptions o;
  o.targets = std::move(t);
  o.skip_unused_stages = skip_unused;
  return o;
}
}  // namespace

TEST(Plan, NoTargetMeansTheLastStage) {
  auto p = plan(kFourStages);
  EXPECT_EQ(p.target, 3);
  EXPECT_EQ(p.targets, std::vector<int>{3});
}

TEST(Plan, SeveralTargetsTheFirstIsTheResult) {
  auto p = plan(kFourStages, targets({"a", "C"}));
  EXPECT_EQ(p.target, 0);
  EXPECT_EQ(p.targets, (std::vector<int>{0, 2}));
  // kaniko builds every stage up to the last target: b too, d not.
  EXPECT_EQ(p.build_order, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(p.stages[1].needed);
  EXPECT_FALSE(p.stages[3].needed);
}

TEST(Plan, SeveralTargetsWithSkipUnusedStagesBuildWhatTheyNeed) {
  auto p = plan(kFourStages, targets({"c", "a"}, true));
  EXPECT_EQ(p.target, 2);
  EXPECT_EQ(p.targets, (std::vector<int>{2, 0}));
  EXPECT_EQ(p.build_order, (std::vector<int>{0, 2}));  // b is unused; a once, though c needs it too
  EXPECT_FALSE(p.stages[1].needed);
  auto q = plan(kFourStages, targets({"b", "d"}, true));
  EXPECT_EQ(q.build_order, (std::vector<int>{1, 3}));
}

TEST(Plan, TargetListsMaySeparateNamesWithCommasAndRepeatNames) {
  auto p = plan(kFourStages, targets({"d,a", "a", "b,"}));
  EXPECT_EQ(p.targets, (std::vector<int>{3, 0, 1}));
  EXPECT_EQ(p.target, 3);
  EXPECT_EQ(p.build_order, (std::vector<int>{0, 1, 2, 3}));
  // Empty names are no names: the last stage, as without --target.
  EXPECT_EQ(plan(kFourStages, targets({"", ","})).targets, std::vector<int>{3});
}

TEST(Plan, AnUnknownTargetAmongSeveralIsNamed) {
  EXPECT_EQ(error_of(kFourStages, targets({"a", "nope", "c"})),
            "Dockerfile: --target stage \"nope\" could not be found; stages are: a, b, c, d");
  EXPECT_EQ(error_of(kFourStages, targets({"a,zz"})),
            "Dockerfile: --target stage \"zz\" could not be found; stages are: a, b, c, d");
}

TEST(Plan, StructuralErrors) {
  EXPECT_EQ(error_of("RUN x\nFROM a\n"), "Dockerfile:1: RUN before the first FROM: only ARG may come before FROM");
  EXPECT_EQ(error_of("ARG x\n"), "Dockerfile:1: no FROM instruction: a Dockerfile needs at least one FROM");
  EXPECT_EQ(error_of("FROM a AS x\nFROM b AS X\n"), "Dockerfile:2: duplicate stage name \"x\" (first used on line 1)");
  EXPECT_EQ(error_of("ARG IMG\nFROM $IMG\n"),
            "Dockerfile:2: base name ($IMG) should not be blank: check the ARG it uses");
  EXPECT_EQ(error_of("FROM a\nFORM b\n"), "Dockerfile:2: unknown instruction: FORM (did you mean FROM?)");
}

TEST(Plan, LexerErrorsGetALocation) {
  std::string e = error_of("FROM a\nFROM b\nCOPY --from=${x /a /b\n");
  EXPECT_EQ(e.rfind("Dockerfile:3: ", 0), 0u) << e;
}

TEST(Plan, UnusedBuildArgWarning) {
  auto p = plan("ARG USED\nFROM a\nARG ALSO\n",
                with_args({{"USED", "1"}, {"foo", "1"}, {"ALSO", "2"}, {"bar", std::nullopt}, {"HTTP_PROXY", "h"}}));
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0], "[Warning] One or more build-args [bar foo] were not consumed");
  EXPECT_TRUE(plan("FROM a\nARG x\n", with_args({{"x", "1"}})).warnings.empty());
}

TEST(Plan, ArgsOnlyInSkippedStagesAreNotConsumed) {
  PlanOptions o = with_args({{"ONLYFIRST", "1"}});
  o.skip_unused_stages = true;
  auto p = plan("FROM a\nARG ONLYFIRST\nFROM b\n", o);
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_EQ(p.warnings[0], "[Warning] One or more build-args [ONLYFIRST] were not consumed");
}

TEST(Plan, ParserWarningsCarryOver) {
  auto p = plan("# syntax=docker/dockerfile:1\nFROM a\n");
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("syntax"), std::string::npos);
}

TEST(Plan, BacktickEscapeFile) {
  auto p = plan("# escape=`\nARG BASE=mcr.microsoft.com/windows/servercore\nFROM $BASE\nCOPY testfile.txt c:\\ \nRUN dir c:\\\n");
  EXPECT_EQ(p.escape, '`');
  EXPECT_EQ(p.stages[0].base_image, "mcr.microsoft.com/windows/servercore");
  ASSERT_EQ(p.stages[0].instructions.size(), 2u);
  EXPECT_EQ(p.stages[0].instructions[0].as<CopyInst>()->dest, "c:\\");
}
