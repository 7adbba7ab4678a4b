#pragma once
// Files that appear whole or not at all: written to a temporary name in the
// same directory, then renamed over the destination. A crash or a failed
// copy never leaves a truncated blob or index.json behind.
#include <filesystem>
#include <string>
#include <string_view>

namespace kiln::image {

// Throws kiln::IoError naming the destination.
void write_file_atomic(const std::filesystem::path& dest, std::string_view bytes);

// Copies src to dest (atomically) and returns the lower-case hex SHA-256 of
// the bytes copied. With expect_hex, a different hash throws kiln::Error
// naming src before dest is touched: a blob never appears under a digest
// that does not describe it.
std::string copy_file_atomic_sha256(const std::filesystem::path& src, const std::filesystem::path& dest,
                                    std::string_view expect_hex = {});

}  // namespace kiln::image
