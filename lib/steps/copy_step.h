#pragma once
// COPY and ADD: files from the context, another stage, an image, a heredoc,
// a URL (ADD) or a local archive (ADD, unpacked) into the image root.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>

#include "dockerfile/evaluate.h"
#include "fs/ignore_list.h"
#include "log/log.h"

namespace kiln::steps {

struct CopyEnv {
  std::filesystem::path root;           // the image root being built
  const fs::IgnoreList* ignore = nullptr;
  std::filesystem::path src_root;       // context dir, saved stage root, or unpacked image
  // .dockerignore of the context (null for stages and images).
  std::function<bool(std::string_view rel)> context_excluded;
  std::filesystem::path scratch;        // where heredocs and downloads are staged
  std::string ca_file;                  // for ADD <url>
  std::function<bool()> cancelled;      // stops an ADD <url> download (http::Client::Options::cancelled)
  log::Logger* log = nullptr;
};

// Joins a COPY/ADD destination with WORKDIR the way Docker does, keeping a
// trailing slash (it means "into this directory").
std::string destination_path(std::string_view dest, std::string_view working_dir);

void run_copy(const dockerfile::Step& step, const CopyEnv& env);

}  // namespace kiln::steps
