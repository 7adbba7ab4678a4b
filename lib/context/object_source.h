#pragma once
// Contexts kept as a tar.gz in an object store: S3 (and S3-compatible
// stores), Google Cloud Storage, Azure Blob Storage.
#include <filesystem>

#include "context/build_context.h"

namespace kiln::context {

// Downloads the archive the spec names and unpacks it into dest.
void fetch_object_context(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest);

}  // namespace kiln::context
