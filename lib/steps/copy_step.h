#pragma once
// COPY and ADD: files from the context, another stage, an image, a heredoc,
// a URL (ADD) or a local archive (ADD, unpacked) into the image root.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>

#include "dockerfile/evaluate.h"
#include "steps/step_env.h"

namespace kiln::steps {

// The StepEnv's context_excluded applies to src_root: null unless src_root
// is the context.
struct CopyEnv : StepEnv {
  std::filesystem::path src_root;       // context dir, saved stage root, or unpacked image
  std::string ca_file;                  // for ADD <url>
  std::function<bool()> cancelled;      // stops an ADD <url> download (http::Client::Options::cancelled)
};

// Joins a COPY/ADD destination with WORKDIR the way Docker does, keeping a
// trailing slash (it means "into this directory").
std::string destination_path(std::string_view dest, std::string_view working_dir);

void run_copy(const dockerfile::Step& step, const CopyEnv& env);

}  // namespace kiln::steps
