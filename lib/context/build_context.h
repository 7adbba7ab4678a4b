#pragma once
// The build context: where COPY/ADD sources come from. kaniko accepts several
// sources named by a prefix; each ends up as a local directory that the
// build reads (and never writes).
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "context/git_url.h"
#include "log/log.h"

namespace kiln::context {

// Https: a tar.gz at any other https:// (or http://) URL, fetched with a plain GET.
enum class Kind { Dir, Tar, TarStdin, Git, S3, Gcs, Azure, Https };

struct Spec {
  Kind kind = Kind::Dir;
  std::string location;  // path, URL or bucket/object, without the prefix
};

// Pure: classifies --context. Bare paths are directories, as in kaniko.
Spec parse_spec(std::string_view context_flag);

struct Resolved {
  std::filesystem::path dir;  // the directory COPY reads from
  bool owned = false;         // true when kiln unpacked it and must remove it
};

// What fetching a context may need besides the spec, passed in as values.
struct ResolveOptions {
  std::string sub_path;                 // --context-sub-path
  std::filesystem::path scratch;        // a directory under the kaniko dir for fetched contexts
  log::Logger* log = nullptr;
  // The process environment (GIT_*, AWS_*, GOOGLE_*, AZURE_*, S3_* variables).
  std::function<std::optional<std::string>(std::string_view)> getenv;
  GitFlags git;                     // --git, parsed (checked before the build starts)
  std::string ca_file;              // CA bundle for HTTPS fetches (the registry one)
  std::function<bool()> cancelled;  // stops object-store downloads and git fetches
};

// Makes the context available as a directory under `scratch` (or the local
// directory itself). Throws kiln::Error naming the context when it is
// missing, unreadable or of a kind not supported yet.
Resolved resolve(const Spec& spec, const ResolveOptions& opts);

}  // namespace kiln::context
