#pragma once
// Applying a layer while it downloads: the registry client writes the blob
// into a BytePipe from its own thread, and this drains the pipe into
// extract(). Bytes after the tar's end-of-archive marker are read and
// dropped so the producer never blocks on a reader that has stopped; on any
// failure the pipe is aborted so the producer's next write() throws and the
// download ends.
#include <filesystem>

#include "layer/extractor.h"
#include "layer/pipe.h"

namespace kiln::layer {

ExtractStats extract_from_pipe(BytePipe& pipe, const std::filesystem::path& root, const ExtractOptions& options);

}  // namespace kiln::layer
