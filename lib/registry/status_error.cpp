#include "registry/status_error.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace kiln::registry {

bool is_immutable_tag_refusal(long status, std::string_view body) {
  if (status < 400 || status >= 500) return false;
  std::string lower(body);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.find("immutable") != std::string::npos;
}

std::string status_text(long s) {
  const char* reason = nullptr;
  switch (s) {
    case 400: reason = "Bad Request"; break;
    case 401: reason = "Unauthorized"; break;
    case 403: reason = "Forbidden"; break;
    case 404: reason = "Not Found"; break;
    case 405: reason = "Method Not Allowed"; break;
    case 409: reason = "Conflict"; break;
    case 413: reason = "Payload Too Large"; break;
    case 416: reason = "Range Not Satisfiable"; break;
    case 429: reason = "Too Many Requests"; break;
    case 500: reason = "Internal Server Error"; break;
    case 502: reason = "Bad Gateway"; break;
    case 503: reason = "Service Unavailable"; break;
    case 504: reason = "Gateway Timeout"; break;
    default: break;
  }
  return reason ? std::to_string(s) + " " + reason : std::to_string(s);
}

}  // namespace kiln::registry
