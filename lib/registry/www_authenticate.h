#pragma once
// WWW-Authenticate challenges (RFC 7235): `Bearer realm="https://auth/token",
// service="registry",scope="repository:a/b:pull,push"` or `Basic
// realm="Registry"`. One header may hold several challenges, parameter values
// may be quoted strings containing commas and escaped quotes.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::registry {

struct Challenge {
  std::string scheme;                         // lower-case: "basic", "bearer"
  std::map<std::string, std::string> params;  // lower-case names
  std::string param(const std::string& name) const {
    auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// Never throws: unparseable text yields fewer (or no) challenges.
std::vector<Challenge> parse_www_authenticate(std::string_view header);

}  // namespace kiln::registry
