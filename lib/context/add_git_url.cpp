#include "context/add_git_url.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "base/error.h"

namespace kiln::context {
namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::equal(prefix.begin(), prefix.end(), s.begin(),
                    [](char p, char c) { return p == std::tolower(static_cast<unsigned char>(c)); });
}

bool is_http(std::string_view s) { return starts_with_nocase(s, "https://") || starts_with_nocase(s, "http://"); }

// The URL before its fragment and query.
std::string_view without_fragment(std::string_view s) { return s.substr(0, s.find_first_of("#?")); }

bool full_commit_id(std::string_view s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

// "a//b/./c/" -> "a/b/c"; "" when it would leave the repository ("..").
bool clean_subdir(std::string_view in, std::string& out) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= in.size()) {
    std::size_t slash = in.find('/', start);
    std::string_view p = in.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    start = slash == std::string_view::npos ? in.size() + 1 : slash + 1;
    if (p.empty() || p == ".") continue;
    if (p == "..") return false;
    parts.emplace_back(p);
  }
  out.clear();
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return true;
}

}  // namespace

bool is_add_git_source(std::string_view src) {
  if (starts_with_nocase(src, "git://") || starts_with_nocase(src, "git@")) return true;
  if (!is_http(src)) return false;
  std::string_view path = without_fragment(src);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return path.size() > 4 && path.substr(path.size() - 4) == ".git";
}

AddGitSource parse_add_git_source(std::string_view src) {
  std::string shown = redact_url(src);
  if (!is_http(src))
    throw UsageError("ADD " + shown + ": kiln fetches git repositories over https:// (or http://) only; "
                     "the git protocol and SSH are not supported");
  std::size_t hash = src.find('#');
  std::string_view repo = src.substr(0, hash);
  std::string_view fragment = hash == std::string_view::npos ? std::string_view() : src.substr(hash + 1);
  if (repo.find('?') != std::string_view::npos) throw UsageError("ADD " + shown + ": a git URL takes no query");
  bool plain = starts_with_nocase(repo, "http://");
  // parse_git_location takes what follows the scheme; its messages name a
  // git:// context, so they are re-worded for ADD.
  std::string_view rest = repo.substr(plain ? 7 : 8);
  AddGitSource out;
  try {
    out.loc = parse_git_location(rest, plain);
  } catch (const UsageError& e) {
    std::string why = e.what();
    std::size_t colon = why.find(": ");
    throw UsageError("ADD " + shown + why.substr(colon == std::string::npos ? why.size() : colon));
  }
  std::size_t colon = fragment.find(':');
  std::string_view ref = fragment.substr(0, colon);
  if (full_commit_id(ref)) {
    out.loc.commit.clear();
    for (char c : ref) out.loc.commit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  } else {
    out.loc.ref = std::string(ref);
  }
  if (colon != std::string_view::npos && !clean_subdir(fragment.substr(colon + 1), out.subdir))
    throw UsageError("ADD " + shown + ": subdirectory '" + std::string(fragment.substr(colon + 1)) +
                     "' leaves the repository");
  return out;
}

}  // namespace kiln::context
