#include "context/git_source.h"

#include "base/error.h"

namespace kiln::context {

void fetch_git(const std::string& location, const ResolveOptions&, const std::filesystem::path&) {
  throw UsageError("context 'git://" + location + "': git contexts are not supported by kiln yet");
}

}  // namespace kiln::context
