#pragma once
// Pure parsing for git:// build contexts (kaniko's syntax and environment):
//
//   git://host[:port]/path/repo.git[#ref[#commit]]
//
// The prefix names a repository fetched over HTTPS, or plain HTTP when
// GIT_PULL_METHOD=http (not the git daemon protocol). `ref` is a branch, a
// tag or any full ref such as refs/pull/1/head; `commit` pins the checkout.
// No I/O here: git_source.cpp does the fetching.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::context {

struct GitLocation {
  std::string url;     // scheme://host/path: what is fetched, never with userinfo
  std::string ref;     // as the user wrote it; "" = the remote's default branch
  std::string commit;  // lower-case hex (4..40 digits); "" = the tip of ref
  // userinfo written into the URL (percent-decoded). Kept out of `url` so it
  // never reaches logs, errors or the checked-out .git/config.
  std::string username;
  std::string password;
};

// Throws UsageError (naming the context without its userinfo) on an empty
// host or path, more than two '#', or a commit that is not hex.
GitLocation parse_git_location(std::string_view location, bool plain_http);

// GIT_PULL_METHOD: unset, "" or "https" → false; "http" → true; else UsageError.
bool plain_http_pull(const std::optional<std::string>& pull_method);

// The --git flag: each entry is key=value[,key=value...] with kaniko's keys
// and depth (the key of kaniko's maintained fork, osscontainertools/kaniko).
inline constexpr std::string_view kGitFlagKeys = "branch, single-branch, depth, recurse-submodules, insecure-skip-tls";
struct GitFlags {
  std::string branch;
  bool single_branch = false;
  // Commits of history to fetch for each ref (a shallow fetch); 0, the
  // default as in kaniko, fetches the whole history.
  int depth = 0;
  bool recurse_submodules = false;
  bool insecure_skip_tls = false;
};
// Throws UsageError naming --git and the entry: an unknown key, an entry
// without '=', a boolean that is not one, a depth that is not a whole number.
GitFlags parse_git_flags(const std::vector<std::string>& entries);

// The ref to check out: the URL's #ref, else --git branch=; both given and
// different is a UsageError (which one was meant cannot be guessed).
std::string effective_ref(const GitLocation& loc, const GitFlags& flags);

// Full ref names to look for on the remote, in order: a name that starts
// with "refs/" as it is; a short name as a branch, then as a tag.
std::vector<std::string> candidate_refs(std::string_view ref);

// Basic-auth credentials: userinfo in the URL first, else the environment.
// GIT_TOKEN wins over
// GIT_PASSWORD and is sent as the password, with GIT_USERNAME as the user or
// kGitTokenUser when that is unset (hosting services ignore the user name for
// tokens but need one to be present).
inline constexpr std::string_view kGitTokenUser = "oauth2";
struct GitCredentials {
  std::string username;
  std::string password;
  bool present() const { return !username.empty() || !password.empty(); }
};
GitCredentials git_credentials(const GitLocation& loc,
                               const std::function<std::optional<std::string>(std::string_view)>& getenv);

// The URL without its userinfo ("https://u:p@h/r" → "https://h/r").
std::string redact_url(std::string_view url);

// host[:port] of a URL, without userinfo, lower-cased.
std::string url_authority(std::string_view url);

// `text` with every non-empty secret replaced by "***" and the userinfo of
// any URL in it removed: for library error messages that may echo either.
std::string scrub_secrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace kiln::context
