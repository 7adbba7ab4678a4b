#pragma once
// Stages and what the build must do: which stages exist, what each is based
// on, which stages depend on which, which to build for --target, and the
// build arguments resolved once for the whole build. Pure: no I/O.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dockerfile/build_args.h"
#include "dockerfile/instructions.h"
#include "dockerfile/parsed_file.h"
#include "image/descriptor.h"

namespace kiln::dockerfile {

struct PlanOptions {
  // --build-arg k=v, and bare --build-arg k with the value the caller found
  // in its environment (nullopt when unset there: then it counts as not given).
  std::vector<std::pair<std::string, std::optional<std::string>>> build_args;
  // --target, repeatable (kaniko's maintained fork builds several targets in
  // one run); an entry may also list names separated by commas (a stage name
  // cannot hold one). Empty = the last stage. The first is the build's result.
  std::vector<std::string> targets;
  bool skip_unused_stages = false;  // kaniko's --skip-unused-stages
  image::Platform target_platform;
  image::Platform build_platform;
};

// Where a stage gets files or its base from.
struct StageDependency {
  enum class Kind { Stage, Image } kind = Kind::Stage;
  int stage = -1;      // Kind::Stage: the earlier stage's index
  std::string image;   // Kind::Image: the external image reference
  std::string via;     // "FROM", "COPY --from", "RUN --mount from"
  int line = 0;
  friend bool operator==(const StageDependency&, const StageDependency&) = default;
};

struct Stage {
  int index = 0;
  std::string name;          // the AS name, lower case; empty when none
  int line = 0;              // the FROM line
  FromInst from;             // as written
  std::string base_image;    // FROM's image, expanded; "scratch" allowed
  std::optional<int> base_stage;  // set when base_image names an earlier stage
  std::string platform;      // FROM --platform expanded; empty when not given
  std::vector<Instruction> instructions;  // after FROM, in order, not expanded
  std::vector<StageDependency> dependencies;  // in source order, FROM first
  bool needed = true;        // false when --skip-unused-stages drops it
};

struct Plan {
  std::string filename;
  char escape = '\\';
  BuildArgs args;
  std::vector<Stage> stages;
  int target = 0;                // index of the stage the build produces (the first --target)
  // Every stage named by --target, in the order given, each once; the
  // first is `target`. The others are built but none of their images is
  // written out. {target} when --target is not given.
  std::vector<int> targets;
  std::vector<int> build_order;  // stage indexes to build, dependencies first
  std::vector<std::string> warnings;  // parser warnings first, then plan warnings

  // The stage a name or index refers to, case-insensitive; nullopt if none.
  std::optional<int> find_stage(std::string_view name_or_index) const;
};

// Throws kiln::UsageError ("<file>:<line>: ...") for a Dockerfile without
// FROM, instructions before FROM other than ARG, duplicate stage names,
// COPY --from / --mount from= naming the current or a later stage, an empty
// base image after expansion, and a --target naming no stage (the message
// names it and lists the stages there are).
Plan make_plan(const ParsedFile& file, const PlanOptions& options);

}  // namespace kiln::dockerfile
