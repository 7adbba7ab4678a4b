#pragma once
// What the metadata instructions (ENV, LABEL, USER, CMD, …) do to the image
// config, as Docker writes it. Pure: config in, config out.
#include "dockerfile/evaluate.h"
#include "image/config.h"

namespace kiln::steps {

// Per-stage facts the config rules need beyond the config itself.
struct StageFlags {
  bool cmd_set = false;  // CMD given in this stage: ENTRYPOINT then keeps it
};

// Applies a step that only changes metadata. Returns false for steps that
// change files (RUN, COPY, ADD) or change nothing in the config (ARG).
bool apply_metadata(const dockerfile::Step& step, image::Config& config, StageFlags& flags);

}  // namespace kiln::steps
