#include "layer/stream_extract.h"

namespace kiln::layer {

ExtractStats extract_from_pipe(BytePipe& pipe, const std::filesystem::path& root, const ExtractOptions& options) {
  try {
    auto stats = extract([&](char* buf, std::size_t max) { return pipe.read(buf, max); }, root, options);
    // The producer hashes every byte it receives (digest check); let it finish.
    char sink[64 * 1024];
    while (pipe.read(sink, sizeof sink) > 0) {
    }
    return stats;
  } catch (...) {
    pipe.abort();
    throw;
  }
}

}  // namespace kiln::layer
