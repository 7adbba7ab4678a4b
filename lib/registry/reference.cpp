#include "registry/reference.h"

#include <cctype>

#include "base/error.h"
#include "digest/digest.h"

namespace kiln::registry {
namespace {

[[noreturn]] void bad(std::string_view text, const std::string& why) {
  throw UsageError("invalid image reference '" + std::string(text) + "': " + why);
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// One path component: lower-case alphanumerics joined by '.', '_', '__' or
// runs of '-', never starting or ending with a separator.
bool valid_component(std::string_view c) {
  if (c.empty() || !is_lower_alnum(c.front()) || !is_lower_alnum(c.back())) return false;
  for (std::size_t i = 0; i < c.size(); ++i) {
    char ch = c[i];
    if (is_lower_alnum(ch)) continue;
    if (ch == '-') continue;
    if (ch == '.' || ch == '_') {
      // '.' and '_' may not repeat, except exactly "__".
      std::size_t run = 1;
      while (i + run < c.size() && !is_lower_alnum(c[i + run])) ++run;
      std::string_view sep = c.substr(i, run);
      if (!(sep == "." || sep == "_" || sep == "__")) return false;
      i += run - 1;
      continue;
    }
    return false;
  }
  return true;
}

bool valid_tag(std::string_view t) {
  if (t.empty() || t.size() > 128) return false;
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(t[0])) return false;
  for (char c : t)
    if (!word(c) && c != '.' && c != '-') return false;
  return true;
}

bool valid_registry(std::string_view r) {
  std::string_view host = r, port;
  if (!r.empty() && r[0] == '[') {
    auto close = r.find(']');
    if (close == std::string_view::npos) return false;
    for (char c : r.substr(1, close - 1))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
    auto rest = r.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
    host = {};
  } else if (auto colon = r.find(':'); colon != std::string_view::npos) {
    host = r.substr(0, colon);
    port = r.substr(colon + 1);
    if (port.empty()) return false;
  }
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  if (r[0] == '[') return true;
  if (host.empty()) return false;
  std::size_t start = 0;
  while (start <= host.size()) {
    auto dot = host.find('.', start);
    auto label = host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

// Docker's rule: the first path element is a registry only when it looks
// like a host (has a dot or a port, or is localhost); "foo/bar" is Hub.
bool looks_like_registry(std::string_view first) {
  return first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
         first == "localhost" || (!first.empty() && first[0] == '[');
}

}  // namespace

Reference parse_reference(std::string_view text) {
  if (text.empty()) bad(text, "empty");
  for (char c : text)
    if (std::isspace(static_cast<unsigned char>(c)) || !std::isprint(static_cast<unsigned char>(c)))
      bad(text, "contains whitespace or control characters");
  Reference ref;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    auto d = rest.substr(at + 1);
    if (!digest::is_valid(d)) bad(text, "'" + std::string(d) + "' is not a valid digest (want sha256:<64 hex>)");
    ref.digest = std::string(d);
    rest = rest.substr(0, at);
  }
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    // A ':' after a '[' with no ']' after it would be inside an IPv6 host.
    auto tag = rest.substr(colon + 1);
    if (!valid_tag(tag)) bad(text, "invalid tag '" + std::string(tag) + "'");
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  std::string_view name = rest;
  auto first_slash = name.find('/');
  if (first_slash != std::string_view::npos && looks_like_registry(name.substr(0, first_slash))) {
    ref.registry = std::string(name.substr(0, first_slash));
    name = name.substr(first_slash + 1);
    if (!valid_registry(ref.registry)) bad(text, "invalid registry '" + ref.registry + "'");
    for (auto& c : ref.registry) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  } else {
    ref.registry = std::string(kDockerHub);
  }
  if (ref.registry == "docker.io") ref.registry = std::string(kDockerHub);
  if (name.empty()) bad(text, "no repository name");
  for (char c : name)
    if (std::isupper(static_cast<unsigned char>(c))) bad(text, "repository name must be lowercase");
  std::size_t start = 0;
  while (true) {
    auto slash = name.find('/', start);
    auto comp = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!valid_component(comp)) bad(text, "invalid repository path component '" + std::string(comp) + "'");
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  ref.repository = std::string(name);
  if (ref.registry == kDockerHub && ref.repository.find('/') == std::string::npos)
    ref.repository = "library/" + ref.repository;
  if (ref.registry.size() + 1 + ref.repository.size() > 255) bad(text, "name longer than 255 characters");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

std::string Reference::repo_str() const { return registry + "/" + repository; }

std::string Reference::str() const {
  std::string s = repo_str();
  if (!tag.empty()) s += ":" + tag;
  if (!digest.empty()) s += "@" + digest;
  return s;
}

Reference with_digest(Reference r, std::string digest) {
  r.tag.clear();
  r.digest = std::move(digest);
  return r;
}

}  // namespace kiln::registry
