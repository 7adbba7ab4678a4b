#include "dockerfile/exposed_ports.h"

#include "base/error.h"
#include "base/text.h"
#include "dockerfile/line_words.h"

namespace kiln::dockerfile {
namespace {

int parse_port(const std::string& s, const std::string& spec) {
  if (s.empty() || s.size() > 5) throw kiln::UsageError("invalid port in EXPOSE " + spec + ": \"" + s + "\"");
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') throw kiln::UsageError("invalid port in EXPOSE " + spec + ": \"" + s + "\"");
    n = n * 10 + (c - '0');
  }
  if (n > 65535) throw kiln::UsageError("invalid port in EXPOSE " + spec + ": " + s + " is above 65535");
  return n;
}

}  // namespace

std::vector<std::string> normalize_ports(const std::vector<std::string>& specs) {
  std::vector<std::string> out;
  for (const auto& spec : specs) {
    std::string port = spec, proto = "tcp";
    size_t slash = spec.find('/');
    if (slash != std::string::npos) {
      port = spec.substr(0, slash);
      proto = ascii_lower(spec.substr(slash + 1));
      if (proto.empty()) proto = "tcp";
    }
    if (proto != "tcp" && proto != "udp" && proto != "sctp")
      throw kiln::UsageError("invalid protocol in EXPOSE " + spec + ": use tcp, udp or sctp");
    // ip:hostPort:containerPort publishes on the host; only the container port matters here.
    size_t colon = port.rfind(':');
    if (colon != std::string::npos) port = port.substr(colon + 1);
    size_t dash = port.find('-');
    int first = parse_port(port.substr(0, dash), spec);
    int last = dash == std::string::npos ? first : parse_port(port.substr(dash + 1), spec);
    if (last < first) throw kiln::UsageError("invalid port range in EXPOSE " + spec + ": end is before start");
    for (int p = first; p <= last; ++p) {
      std::string s = std::to_string(p) + "/" + proto;
      bool dup = false;
      for (const auto& o : out) dup = dup || o == s;
      if (!dup) out.push_back(s);
    }
  }
  return out;
}

}  // namespace kiln::dockerfile
