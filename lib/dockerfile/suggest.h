#pragma once
// "did you mean ...?" hints for misspelt instructions and flags.
#include <string>
#include <string_view>
#include <vector>

namespace kiln::dockerfile {

// The candidate closest to `word` (case-insensitive edit distance) when it is
// close enough to be a plausible typo; empty otherwise.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace kiln::dockerfile
