#pragma once
// The few URL facts the transport needs: which host a request goes to (for
// per-host TLS settings and for not leaking credentials across redirects) and
// how to resolve a relative Location header.
#include <string>
#include <string_view>

namespace kiln::http {

struct UrlParts {
  std::string scheme;  // lower-case, "https"
  std::string host;    // without brackets for IPv6, lower-case
  std::string port;    // as written, empty when absent
  std::string path_and_query;  // "/v2/..." (always starts with '/')
};

// Throws kiln::Error when the text has no scheme://host.
UrlParts parse_url(std::string_view url);

// Percent-encodes everything but RFC 3986 unreserved characters; '/' too
// unless keep_slash (paths keep their separators). For query parameters,
// form bodies and object-store paths.
std::string uri_encode(std::string_view s, bool keep_slash = false);

// "host" or "host:port" as written in per-host maps; IPv6 hosts bracketed.
std::string host_port(const UrlParts& u);

// The port a connection actually uses (explicit or the scheme's default).
std::string effective_port(const UrlParts& u);

// True for "127.0.0.1", "::1", "[::1]" and the like.
bool is_ip_literal(std::string_view host);

// Resolves a Location header against the URL of the request that got it.
std::string resolve_location(std::string_view base_url, std::string_view location);

}  // namespace kiln::http

namespace kiln::http {
// A URL fit for logs and error messages: the query string and any userinfo
// are dropped, because storage redirects carry signatures there.
std::string url_for_message(std::string_view url);
}  // namespace kiln::http
