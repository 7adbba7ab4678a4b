#pragma once
// ASCII text helpers for protocol tokens, header names, flag values and
// keys: locale-independent, so "I" folds to "i" whatever LANG says.
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

inline constexpr std::string_view kAsciiSpace = " \t\n\r\v\f";

// A-Z to a-z; every other byte as it is.
std::string ascii_lower(std::string_view s);

// s without the leading/trailing bytes found in `chars`.
std::string_view trim(std::string_view s, std::string_view chars = kAsciiSpace);
std::string_view trim_left(std::string_view s, std::string_view chars = kAsciiSpace);

// The parts of s between separators, empty ones dropped: a flag value that
// lists things ("a,b", "a,,b," and "a" alike).
std::vector<std::string_view> split_list(std::string_view s, char sep = ',');

}  // namespace kiln
