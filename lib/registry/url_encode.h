#pragma once
// Percent-encoding for query parameters and form bodies (RFC 3986
// unreserved characters pass through).
#include <string>
#include <string_view>

namespace kiln::registry {
std::string url_encode(std::string_view s);
}  // namespace kiln::registry
