#pragma once
// Reading a whole (small) file: configs, keys, tokens, /proc entries.
#include <filesystem>
#include <optional>
#include <string>

namespace kiln {

// nullopt when the file cannot be opened (errno says why: ENOENT, EACCES…).
std::optional<std::string> read_file_if_present(const std::filesystem::path& p);

// Throws SystemError "reading <p>: <strerror>" when it cannot be opened.
std::string read_file(const std::filesystem::path& p);

}  // namespace kiln
