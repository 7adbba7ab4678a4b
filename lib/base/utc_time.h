#pragma once
// A point in time as UTC text, for the formats the protocols and the image
// config fix: RFC 3339 (config `created`, history, log lines) and SigV4's
// basic ISO 8601 ("20150830T123600Z"). One place, so every caller agrees
// on the time zone (always UTC, whatever TZ says).
#include <ctime>
#include <string>

namespace kiln {

// t formatted with strftime(3) `format`, in UTC.
std::string utc_time(std::time_t t, const char* format);

// "2006-01-02T15:04:05Z"
inline std::string rfc3339_utc(std::time_t t) { return utc_time(t, "%Y-%m-%dT%H:%M:%SZ"); }

}  // namespace kiln
