#include "http/url.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

#include "base/error.h"
#include "base/text.h"

namespace kiln::http {
namespace {
}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

UrlParts parse_url(std::string_view url) {
  UrlParts u;
  auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) throw Error("invalid URL '" + std::string(url) + "': no scheme");
  u.scheme = ascii_lower(url.substr(0, sep));
  auto rest = url.substr(sep + 3);
  auto slash = rest.find_first_of("/?#");
  auto authority = rest.substr(0, slash);
  u.path_and_query = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!u.path_and_query.empty() && u.path_and_query[0] != '/') u.path_and_query.insert(0, "/");
  // Userinfo is never used by kiln, but must not be mistaken for the host.
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw Error("invalid URL '" + std::string(url) + "': unterminated IPv6 host");
    u.host = ascii_lower(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty() && after[0] == ':') u.port = std::string(after.substr(1));
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      u.host = ascii_lower(authority.substr(0, colon));
      u.port = std::string(authority.substr(colon + 1));
    } else {
      u.host = ascii_lower(authority);
    }
  }
  if (u.host.empty()) throw Error("invalid URL '" + std::string(url) + "': no host");
  return u;
}

std::string host_port(const UrlParts& u) {
  std::string h = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  return u.port.empty() ? h : h + ":" + u.port;
}

std::string effective_port(const UrlParts& u) {
  if (!u.port.empty()) return u.port;
  return u.scheme == "https" ? "443" : u.scheme == "http" ? "80" : "";
}

bool is_ip_literal(std::string_view host) {
  std::string h(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

std::string resolve_location(std::string_view base_url, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return std::string(location);
  auto base = parse_url(base_url);
  std::string origin = base.scheme + "://" + host_port(base);
  if (location.substr(0, 2) == "//") return base.scheme + ":" + std::string(location);
  if (!location.empty() && location[0] == '/') return origin + std::string(location);
  // Relative to the directory of the base path (rare for registries).
  std::string path = base.path_and_query.substr(0, base.path_and_query.find('?'));
  path = path.substr(0, path.rfind('/') + 1);
  return origin + path + std::string(location);
}

}  // namespace kiln::http

namespace kiln::http {
std::string url_for_message(std::string_view url) {
  try {
    auto u = parse_url(url);
    std::string path = u.path_and_query.substr(0, u.path_and_query.find_first_of("?#"));
    return u.scheme + "://" + host_port(u) + path;
  } catch (const Error&) {
    return std::string(url.substr(0, url.find('?')));
  }
}
}  // namespace kiln::http
