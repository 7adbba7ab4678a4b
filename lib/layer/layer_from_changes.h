#pragma once
// Turns what a snapshot found into one layer blob on disk.
#include <cstdint>
#include <filesystem>
#include <optional>

#include "fs/snapshot.h"
#include "layer/writer.h"

namespace kiln::layer {

struct LayerSettings {
  layer::Compression compression = layer::Compression::Gzip;
  int level = -1;
  std::optional<std::int64_t> fixed_mtime;  // --reproducible
};

// Writes additions as entries and deletions as whiteouts, in path order so the
// same changes always give the same bytes.
layer::Result write_layer(const std::filesystem::path& root, const fs::Changes& changes,
                          const std::filesystem::path& out_file, const LayerSettings& settings);

}  // namespace kiln::layer
