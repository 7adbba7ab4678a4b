#pragma once
// Go's time.Duration text form, which Docker uses for HEALTHCHECK flags
// ("30s", "1m30s", "1.5h", "250ms") and prints into image history ("5m0s").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::dockerfile {

// Nanoseconds, or nullopt when `text` is not a Go duration.
std::optional<std::int64_t> parse_go_duration(std::string_view text);

// Formats like Go's Duration.String(): "0s", "1.5s", "5m0s", "1h0m0s", "300ms", "1µs".
std::string format_go_duration(std::int64_t ns);

}  // namespace kiln::dockerfile
