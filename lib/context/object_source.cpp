#include "context/object_source.h"

#include "base/error.h"

namespace kiln::context {

void fetch_object_context(const Spec& spec, const ResolveOptions&, const std::filesystem::path&) {
  throw UsageError("context '" + spec.location + "': this kind of context is not supported by kiln yet");
}

}  // namespace kiln::context
