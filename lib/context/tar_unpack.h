#pragma once
// Unpacks a (compressed) tar build context with the hardened layer extractor:
// no entry may land outside dest (".." names, absolute or escaping symlinks
// are refused). Shared by tar://, tar://stdin and the object-store contexts.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>

#include "layer/extractor.h"
#include "log/log.h"

namespace kiln::context {

// `read` as for layer::extract (0 = end of stream). Throws kiln::Error
// prefixed "context <what>: ".
layer::ExtractStats unpack_tar(const std::function<std::size_t(char*, std::size_t)>& read,
                               const std::filesystem::path& dest, std::string_view what, log::Logger& log);

}  // namespace kiln::context
