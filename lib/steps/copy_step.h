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
  // Where --chown names are looked up (its /etc/passwd and /etc/group);
  // empty: root. COPY --link writes into an empty tree but names the stage's users.
  std::filesystem::path users_root;
};

// Joins a COPY/ADD destination with WORKDIR the way Docker does, keeping a
// trailing slash (it means "into this directory").
std::string destination_path(std::string_view dest, std::string_view working_dir);

void run_copy(const dockerfile::Step& step, const CopyEnv& env);

// COPY --link / ADD --link: env.root is the link's own empty tree (the
// caller makes its layer and applies it onto the stage), so nothing under
// the destination in the stage counts: a symlink there is not followed and
// modes are not inherited. The destination's missing parents are made 0755
// root:root, as BuildKit makes them for --link. env.users_root is the stage.
void run_link_copy(const dockerfile::Step& step, const CopyEnv& env);

}  // namespace kiln::steps
