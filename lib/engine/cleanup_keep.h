#pragma once
// What --cleanup must leave in place besides the protected paths: files of
// the container that the build reads while it runs (a context directory that
// is not a mount, --cache-dir, --secret files, CA and client-certificate
// files). Moving them aside with the rest of the container (fs/root_stash.h)
// would hide them from the build; they stay where they are and the final wipe
// spares them. Pure: paths in, paths out.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "registry/client.h"
#include "steps/run_mounts.h"

namespace kiln::engine {

struct CleanupInputs {
  std::filesystem::path root = "/";     // the image root ("/" in a container)
  std::filesystem::path cwd = "/";      // relative flags are relative to it
  std::filesystem::path context_dir;    // empty: the context is not a directory of the container
  std::string cache_dir;                // --cache-dir
  std::map<std::string, steps::SecretFlag> secrets;  // --secret: its src= files
  std::vector<std::string> tls_files;   // CA bundle and directory, --registry-certificate/--registry-client-cert files
};

// The files a registry client reads on each connection.
std::vector<std::string> tls_files(const registry::Options& o);

// In-image absolute paths (cleaned), in a stable order without duplicates;
// paths outside `root`, "/" itself and empty flags are left out.
std::vector<std::string> cleanup_keep_paths(const CleanupInputs& in);

}  // namespace kiln::engine
