#pragma once
// BuildKit writes image history with Go's fmt verbs (%q, %v on slices and
// maps); these reproduce that text byte for byte so histories match.
#include <string>
#include <string_view>
#include <vector>

namespace kiln::dockerfile {

// strconv.Quote: "a\"b\n" with Go's escapes; printable UTF-8 kept.
std::string go_quote(std::string_view s);
// %q of a []string: ["a" "b"]
std::string go_quoted_list(const std::vector<std::string>& items);
// %v of a []string: [a b]
std::string go_plain_list(const std::vector<std::string>& items);
// %q of an int: strconv.QuoteRune, e.g. '\x03' or 'A'.
std::string go_quote_rune(int r);

}  // namespace kiln::dockerfile
