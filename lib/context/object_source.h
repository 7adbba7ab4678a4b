#pragma once
// Contexts kept as a tar.gz in an object store: S3 (and S3-compatible
// stores), Google Cloud Storage, Azure Blob Storage; or at a plain
// https:// URL (a CI artefact server, a release download).
#include <filesystem>
#include <string>
#include <string_view>

#include "context/build_context.h"

namespace kiln::context {

// Downloads the archive the spec names and unpacks it into dest.
void fetch_object_context(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest);

// True for the --dockerfile values kaniko downloads: http:// and https:// URLs.
bool is_remote_dockerfile(std::string_view dockerfile_flag);

// Downloads the Dockerfile at `url` into dest (at most 1 MiB: anything larger
// is not a Dockerfile). Throws naming the URL (never its query) when the
// server cannot be reached or does not answer 2xx.
void fetch_dockerfile(const std::string& url, const ResolveOptions& opts, const std::filesystem::path& dest);

}  // namespace kiln::context
