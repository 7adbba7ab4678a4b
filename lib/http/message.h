#pragma once
// One HTTP exchange as the registry code sees it, independent of libcurl.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::http {

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  // Streaming upload: called until it returns 0. Takes precedence over body.
  std::function<std::size_t(char*, std::size_t)> reader;
  std::int64_t reader_size = -1;  // Content-Length when known, else chunked
  bool follow_redirects = true;
};

struct Response {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  // The body when no sink took it (a sink only receives 2xx bodies; error
  // bodies always land here, capped, so messages can quote them).
  std::string body;
  std::string effective_url;  // after redirects
  // First header with that (lower-case) name.
  std::optional<std::string> header(std::string_view lower_name) const;
  // Every header with that name, in order (WWW-Authenticate may repeat).
  std::vector<std::string> headers_named(std::string_view lower_name) const;
};

// Receives the body of a successful response as it arrives. It may throw to
// abort the transfer; the exception reaches the caller of perform().
using Sink = std::function<void(const char*, std::size_t)>;

}  // namespace kiln::http
