#pragma once
// The build context: where COPY/ADD sources come from. kaniko accepts several
// sources named by a prefix; each ends up as a local directory that the
// build reads (and never writes).
#include <filesystem>
#include <string>
#include <string_view>

#include "log/log.h"

namespace kiln::context {

enum class Kind { Dir, Tar, TarStdin, Git, S3, Gcs, Azure };

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

// Makes the context available as a directory. `scratch` is a directory under
// the kaniko dir where archives are unpacked. Throws kiln::Error naming the
// context when it is missing, unreadable or of a kind not supported yet.
Resolved resolve(const Spec& spec, std::string_view sub_path, const std::filesystem::path& scratch,
                 log::Logger& log);

}  // namespace kiln::context
