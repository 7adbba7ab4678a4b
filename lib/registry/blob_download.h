#pragma once
// A blob downloaded to its file under /kaniko: written under a temporary
// name and renamed only after the fetch returned (the registry client checks
// size and digest at the end), so a file named by a digest always has it.
// Base layers (ensure_local, apply_layers with copies) and layer-cache hits
// go through here.
#include <cstddef>
#include <filesystem>
#include <functional>

namespace kiln::registry {

using BlobSink = std::function<void(const char*, std::size_t)>;

// `fetch` streams the blob into the sink it is given and throws on any
// failure, a wrong digest included. Every byte also goes to `also` when
// given (an extractor, a diff_id hash). On failure the temporary file is
// removed and the error propagates.
void download_to_file(const std::function<void(const BlobSink&)>& fetch, const std::filesystem::path& dest,
                      const BlobSink* also = nullptr);

}  // namespace kiln::registry
