#pragma once
// The diff_id of a compressed layer blob: SHA-256 of its uncompressed bytes.
// A cached layer is only trusted once both its digest and its diff_id match
// what the cache entry claims (the config would otherwise describe a
// different filesystem than the one the layer holds).
#include <filesystem>
#include <string>

namespace kiln::layer {

// "sha256:…" of the bytes after undoing gzip or zstd (or of the file itself
// when it is an uncompressed tar). Throws kiln::IoError naming the file.
std::string blob_diff_id(const std::filesystem::path& blob);

}  // namespace kiln::layer
