#include "context/git_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <system_error>

#include "base/error.h"
#include "base/text.h"

namespace kiln::context {
namespace {

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// %XX decoding for userinfo, where a literal ':' or '@' must be encoded.
std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && is_hex(s.substr(i + 1, 2))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool parse_bool(std::string_view key, std::string_view v) {
  std::string l = ascii_lower(v);
  if (l == "true" || l == "1" || l == "t") return true;
  if (l == "false" || l == "0" || l == "f") return false;
  throw UsageError("--git " + std::string(key) + "=" + std::string(v) + ": expected true or false");
}

// depth=N: a whole number of commits, 0 for the whole history. Digits only
// (no sign, no spaces), so "-1" and "1e3" are refused rather than read.
int parse_depth(std::string_view v) {
  int n = 0;
  const char* end = v.data() + v.size();
  bool digits = !v.empty() && std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
  auto [ptr, ec] = digits ? std::from_chars(v.data(), end, n) : std::from_chars_result{v.data(), std::errc::invalid_argument};
  if (ec != std::errc() || ptr != end)
    throw UsageError("--git depth=" + std::string(v) + ": expected a whole number of commits (0 = the whole history, up to " +
                     std::to_string(std::numeric_limits<int>::max()) + ")");
  return n;
}

// Where the authority of "scheme://authority/path" ends.
std::size_t authority_end(std::string_view url, std::size_t start) {
  std::size_t e = url.find_first_of("/?#", start);
  return e == std::string_view::npos ? url.size() : e;
}

}  // namespace

GitLocation parse_git_location(std::string_view location, bool plain_http) {
  // Split off the fragments first: userinfo never holds a raw '#'.
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t h = location.find('#', start);
    parts.push_back(location.substr(start, h == std::string_view::npos ? std::string_view::npos : h - start));
    if (h == std::string_view::npos) break;
    start = h + 1;
  }
  std::string_view repo = parts[0];
  GitLocation loc;
  std::size_t slash = repo.find('/');
  std::string_view authority = repo.substr(0, slash);
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    std::size_t colon = userinfo.find(':');
    loc.username = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) loc.password = percent_decode(userinfo.substr(colon + 1));
    authority = authority.substr(at + 1);
  }
  std::string_view path = slash == std::string_view::npos ? std::string_view() : repo.substr(slash);
  std::string shown = "git://" + std::string(authority) + std::string(path);
  if (parts.size() > 3)
    throw UsageError("context " + shown + ": expected git://host/path/repo.git#ref#commit (at most two '#')");
  if (authority.empty()) throw UsageError("context " + shown + ": no host after git://");
  if (path.size() <= 1) throw UsageError("context " + shown + ": no repository path after the host");
  for (char c : repo)
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      throw UsageError("context " + shown + ": white space or control characters in the repository URL");
  loc.url = std::string(plain_http ? "http://" : "https://") + std::string(authority) + std::string(path);
  if (parts.size() > 1) loc.ref = std::string(parts[1]);
  if (parts.size() > 2) {
    std::string_view c = parts[2];
    if (c.size() < 4 || c.size() > 40 || !is_hex(c))
      throw UsageError("context " + shown + ": commit '" + std::string(c) + "' is not a hexadecimal commit id (4 to 40 digits)");
    loc.commit = ascii_lower(c);
  }
  return loc;
}

bool plain_http_pull(const std::optional<std::string>& m) {
  if (!m || m->empty() || ascii_lower(*m) == "https") return false;
  if (ascii_lower(*m) == "http") return true;
  throw UsageError("GIT_PULL_METHOD=" + *m + ": expected http or https");
}

GitFlags parse_git_flags(const std::vector<std::string>& entries) {
  GitFlags f;
  for (const std::string& entry : entries) {
    std::size_t start = 0;
    while (start <= entry.size()) {
      std::size_t comma = entry.find(',', start);
      std::string_view kv = std::string_view(entry).substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? entry.size() + 1 : comma + 1;
      if (kv.empty()) continue;
      std::size_t eq = kv.find('=');
      if (eq == std::string_view::npos)
        throw UsageError("--git " + std::string(kv) + ": expected key=value (" + std::string(kGitFlagKeys) + ")");
      std::string_view key = kv.substr(0, eq), value = kv.substr(eq + 1);
      if (key == "branch") f.branch = std::string(value);
      else if (key == "single-branch") f.single_branch = parse_bool(key, value);
      else if (key == "recurse-submodules") f.recurse_submodules = parse_bool(key, value);
      else if (key == "insecure-skip-tls") f.insecure_skip_tls = parse_bool(key, value);
      else if (key == "depth") f.depth = parse_depth(value);
      else
        throw UsageError("--git " + std::string(kv) + ": unknown key '" + std::string(key) + "' (known: " +
                         std::string(kGitFlagKeys) + ")");
    }
  }
  return f;
}

std::string effective_ref(const GitLocation& loc, const GitFlags& flags) {
  if (!loc.ref.empty() && !flags.branch.empty() && loc.ref != flags.branch)
    throw UsageError("context " + loc.url + ": ref '" + loc.ref + "' in the URL and --git branch=" + flags.branch +
                     " disagree; give one of them");
  return loc.ref.empty() ? flags.branch : loc.ref;
}

std::vector<std::string> candidate_refs(std::string_view ref) {
  if (ref.substr(0, 5) == "refs/") return {std::string(ref)};
  return {"refs/heads/" + std::string(ref), "refs/tags/" + std::string(ref)};
}

GitCredentials git_credentials(const GitLocation& loc,
                               const std::function<std::optional<std::string>(std::string_view)>& getenv) {
  if (!loc.username.empty() || !loc.password.empty()) return {loc.username, loc.password};
  auto env = [&](std::string_view k) {
    auto v = getenv ? getenv(k) : std::nullopt;
    return v.value_or(std::string());
  };
  GitCredentials c{env("GIT_USERNAME"), env("GIT_PASSWORD")};
  if (std::string token = env("GIT_TOKEN"); !token.empty()) {
    c.password = token;
    if (c.username.empty()) c.username = std::string(kGitTokenUser);
  }
  return c;
}

std::string redact_url(std::string_view url) {
  std::size_t scheme = url.find("://");
  std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  std::size_t end = authority_end(url, start);
  std::size_t at = url.substr(start, end - start).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, start)) + std::string(url.substr(start + at + 1));
}

std::string url_authority(std::string_view url) {
  std::string r = redact_url(url);
  std::size_t scheme = r.find("://");
  std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  return ascii_lower(std::string_view(r).substr(start, authority_end(r, start) - start));
}

std::string scrub_secrets(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    if (s.empty()) continue;
    for (std::size_t p = text.find(s); p != std::string::npos; p = text.find(s, p + 3)) text.replace(p, s.size(), "***");
  }
  // Userinfo in any URL the text quotes: "scheme://user:pass@host".
  for (std::size_t p = text.find("://"); p != std::string::npos; p = text.find("://", p + 3)) {
    std::size_t start = p + 3;
    std::size_t end = text.find_first_of("/?# \t\n'\"", start);
    if (end == std::string::npos) end = text.size();
    std::size_t at = text.substr(start, end - start).rfind('@');
    if (at != std::string::npos) text.erase(start, at + 1);
  }
  return text;
}

}  // namespace kiln::context
