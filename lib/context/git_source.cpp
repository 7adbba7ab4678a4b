#include "context/git_source.h"

#include <git2.h>
#if LIBGIT2_VER_MAJOR > 1 || (LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR >= 8)
#include <git2/sys/errors.h>  // git_error_set_str moved here in libgit2 1.8
#endif

#include <functional>
#include <memory>
#include <system_error>

#include "base/error.h"
#include "context/git_tls.h"
#include "context/git_url.h"
#include "context/wake_on_cancel.h"

// git_fetch_options.depth came with libgit2 1.7.
#define KILN_LIBGIT2_HAS_DEPTH (LIBGIT2_VER_MAJOR > 1 || (LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR >= 7))

namespace kiln::context {
namespace fs = std::filesystem;

namespace {

// libgit2 keeps process-wide state (init count, CA locations, search paths):
// it lives exactly as long as one fetch.
struct Libgit2 {
  Libgit2() {
    if (git_libgit2_init() < 0) throw Error("git: libgit2 failed to initialise");
  }
  ~Libgit2() { git_libgit2_shutdown(); }
  Libgit2(const Libgit2&) = delete;
  Libgit2& operator=(const Libgit2&) = delete;
};

template <class T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const {
    if (p) Free(p);
  }
};
using Repo = std::unique_ptr<git_repository, Freer<git_repository, git_repository_free>>;
using Remote = std::unique_ptr<git_remote, Freer<git_remote, git_remote_free>>;
using Object = std::unique_ptr<git_object, Freer<git_object, git_object_free>>;
using Reference = std::unique_ptr<git_reference, Freer<git_reference, git_reference_free>>;
using Submodule = std::unique_ptr<git_submodule, Freer<git_submodule, git_submodule_free>>;

// What the libgit2 callbacks need; one per fetch_git call.
struct Session {
  std::string label = "git context";  // what messages call the fetch ("ADD" for ADD <git URL>)
  GitCredentials creds;
  std::string creds_source;  // for messages: which variables the credentials came from
  std::string authority;     // the credentials go to this host:port only
  bool insecure_skip_tls = false;
  std::string ca_file, ca_dir;
  int auth_calls = 0;        // credential requests during the current libgit2 call
  std::function<bool()> cancelled;  // the executor's SIGTERM/SIGINT flag
  bool stopped = false;             // a callback stopped libgit2 because of it
};

// libgit2 calls these as the pack arrives (and as the server reports its
// progress); a non-zero return aborts the fetch. They run only between whole
// packets, so a blocked read is interrupted by WakeOnCancel instead.
int stop_if_cancelled(Session& s) {
  if (!s.cancelled || !s.cancelled()) return 0;
  s.stopped = true;
  git_error_set_str(GIT_ERROR_NET, "stopped by a signal");
  return GIT_EUSER;
}

int on_transfer_progress(const git_indexer_progress*, void* payload) {
  return stop_if_cancelled(*static_cast<Session*>(payload));
}

int on_sideband_progress(const char*, int, void* payload) {
  return stop_if_cancelled(*static_cast<Session*>(payload));
}

// libgit2 asks again after a 401 when the credentials it was given failed:
// the second request in one call means the server rejected them.
int on_credentials(git_credential** out, const char* url, const char*, unsigned int allowed, void* payload) {
  auto* s = static_cast<Session*>(payload);
  std::string where = redact_url(url ? url : "");
  if (!s->creds.present()) {
    git_error_set_str(GIT_ERROR_HTTP, ("the server asks for credentials for " + where +
                                       ": set GIT_USERNAME and GIT_PASSWORD, or GIT_TOKEN")
                                          .c_str());
    return GIT_EAUTH;
  }
  if (url_authority(url ? url : "") != s->authority) {
    git_error_set_str(GIT_ERROR_HTTP, ("the server asks for credentials for " + where + "; kiln sends " +
                                       s->creds_source + " only to " + s->authority)
                                          .c_str());
    return GIT_EAUTH;
  }
  if (!(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) return GIT_PASSTHROUGH;
  if (++s->auth_calls > 1) {
    git_error_set_str(GIT_ERROR_HTTP, ("authentication failed for " + where + ": the server rejected the " +
                                       s->creds_source + " credentials for user '" + s->creds.username + "'")
                                          .c_str());
    return GIT_EAUTH;
  }
  return git_credential_userpass_plaintext_new(out, s->creds.username.c_str(), s->creds.password.c_str());
}

// Called for every TLS connection (valid or not) because it is set.
int on_certificate(git_cert* cert, int valid, const char* host, void* payload) {
  auto* s = static_cast<Session*>(payload);
  if (valid || s->insecure_skip_tls) return 0;
  if (cert && cert->cert_type == GIT_CERT_X509 && host) {
    auto* x = reinterpret_cast<git_cert_x509*>(cert);
    if (leaf_trusted_for_ip(static_cast<const unsigned char*>(x->data), x->len, host, s->ca_file, s->ca_dir)) return 0;
  }
  return GIT_PASSTHROUGH;  // keeps libgit2's own message (what was wrong with the certificate)
}

git_remote_callbacks callbacks(Session& s) {
  git_remote_callbacks cb;
  git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
  cb.credentials = &on_credentials;
  cb.certificate_check = &on_certificate;
  cb.transfer_progress = &on_transfer_progress;
  cb.sideband_progress = &on_sideband_progress;
  cb.payload = &s;
  return cb;
}

// The context's error: the repository (never with credentials), the ref, what
// was being done, and libgit2's reason with any secret scrubbed out.
[[noreturn]] void fail(const std::string& what, const std::string& doing, const Session& s) {
  // Once cancelled, whatever libgit2 says (an interrupted read, a callback's
  // refusal) is the signal's doing.
  if (s.stopped || (s.cancelled && s.cancelled()))
    throw Error(s.label + " " + what + ": " + doing + ": stopped by a signal");
  const git_error* e = git_error_last();
  std::string reason = e && e->message ? e->message : "unknown libgit2 error";
  reason = scrub_secrets(reason, {s.creds.password});
  if (reason.find("certificate") != std::string::npos)
    reason += " (trust the server's CA through SSL_CERT_FILE or /kaniko/ssl/certs/ca-certificates.crt, or use "
              "--git insecure-skip-tls=true)";
  throw IoError(s.label + " " + what + ": " + doing + ": " + reason);
}

// A shallow fetch of `depth` commits per ref (0: the whole history). Only
// called with depth > 0 after require_git_support, so a libgit2 without the
// field never gets here with one.
void set_depth(git_fetch_options& fo, int depth) {
#if KILN_LIBGIT2_HAS_DEPTH
  fo.depth = depth;
#else
  (void)fo;
  (void)depth;
#endif
}

// Where a fetched remote ref is stored locally, as `git clone` names it.
std::string local_ref(const std::string& remote_ref) {
  const std::string heads = "refs/heads/";
  if (remote_ref.rfind(heads, 0) == 0) return "refs/remotes/origin/" + remote_ref.substr(heads.size());
  return remote_ref;
}

// Only http(s) submodules: a .gitmodules entry is untrusted input and must not
// make the executor read repositories from its own filesystem.
void check_submodule_url(const std::string& url, const std::string& path, const std::string& what) {
  if (url.rfind("https://", 0) == 0 || url.rfind("http://", 0) == 0) return;
  throw UsageError("git context " + what + ": submodule '" + path + "' has URL '" + redact_url(url) +
                   "'; kiln fetches submodules over http(s) only");
}

void update_submodules(git_repository* repo, Session& s, const std::string& what, log::Logger& log, int depth) {
  if (depth > 8) throw UsageError(s.label + " " + what + ": submodules nested more than 8 deep");
  std::vector<std::string> names;
  git_submodule_foreach(
      repo,
      [](git_submodule*, const char* name, void* p) {
        static_cast<std::vector<std::string>*>(p)->push_back(name);
        return 0;
      },
      &names);
  for (const std::string& name : names) {
    git_submodule* raw = nullptr;
    if (git_submodule_lookup(&raw, repo, name.c_str()) < 0) fail(what, "reading submodule " + name, s);
    Submodule sm(raw);
    std::string path = git_submodule_path(sm.get());
    git_buf resolved = GIT_BUF_INIT;
    const char* declared = git_submodule_url(sm.get());
    if (!declared || git_submodule_resolve_url(&resolved, repo, declared) < 0)
      fail(what, "resolving the URL of submodule " + path, s);
    std::string url(resolved.ptr, resolved.size);
    git_buf_dispose(&resolved);
    check_submodule_url(url, path, what);
    log.info("Fetching submodule " + path + " from " + redact_url(url));
    git_submodule_update_options so;
    git_submodule_update_options_init(&so, GIT_SUBMODULE_UPDATE_OPTIONS_VERSION);
    so.checkout_opts.checkout_strategy = GIT_CHECKOUT_FORCE;
    so.fetch_opts.callbacks = callbacks(s);
    so.fetch_opts.proxy_opts.type = GIT_PROXY_AUTO;
    s.auth_calls = 0;
    if (git_submodule_update(sm.get(), 1, &so) < 0)
      fail(what, "fetching submodule " + path + " from " + redact_url(url), s);
    git_repository* sub = nullptr;
    if (git_submodule_open(&sub, sm.get()) < 0) fail(what, "opening submodule " + path, s);
    Repo subrepo(sub);
    update_submodules(subrepo.get(), s, what + " submodule " + path, log, depth + 1);
  }
}

}  // namespace

bool shallow_fetch_supported() { return KILN_LIBGIT2_HAS_DEPTH; }

void require_git_support(const GitFlags& flags) {
  if (flags.depth > 0 && !shallow_fetch_supported())
    throw UsageError("--git depth=" + std::to_string(flags.depth) + ": this executor is linked with libgit2 " +
                     LIBGIT2_VERSION + ", which cannot fetch shallow (1.7 or later can; kiln's static build has 1.9)");
}

void fetch_git(const std::string& location, const ResolveOptions& opts, const fs::path& dest) {
  auto env = [&](std::string_view k) { return opts.getenv ? opts.getenv(k) : std::nullopt; };
  const bool plain = plain_http_pull(env("GIT_PULL_METHOD"));
  fetch_git_location(parse_git_location(location, plain), opts.git, "git context", opts, dest);
}

std::string fetch_git_location(const GitLocation& loc, const GitFlags& flags, const std::string& label,
                               const ResolveOptions& opts, const fs::path& dest) {
  auto env = [&](std::string_view k) { return opts.getenv ? opts.getenv(k) : std::nullopt; };
  require_git_support(flags);
  const std::string ref = effective_ref(loc, flags);
  const std::string what = loc.url + (ref.empty() ? "" : " (ref " + ref + ")") +
                           (loc.commit.empty() ? "" : " (commit " + loc.commit + ")");
  log::Logger& log = *opts.log;

  Session s;
  s.label = label;
  s.creds = git_credentials(loc, opts.getenv);
  s.creds_source = !loc.username.empty() || !loc.password.empty() ? "URL"
                   : env("GIT_TOKEN").value_or("").empty()        ? "GIT_USERNAME/GIT_PASSWORD"
                                                                  : "GIT_TOKEN";
  s.authority = url_authority(loc.url);
  s.insecure_skip_tls = flags.insecure_skip_tls;
  s.cancelled = opts.cancelled;
  s.ca_file = opts.ca_file;
  std::error_code ec;
  if (auto d = env("SSL_CERT_DIR"); d && !d->empty() && fs::is_directory(*d, ec)) s.ca_dir = *d;

  Libgit2 lib;
  WakeOnCancel wake(opts.cancelled);  // a SIGTERM interrupts libgit2's blocked reads
  // No system, global or XDG git configuration: the fetch depends on the
  // context flags alone, not on whatever gitconfig the executor's root has.
  for (int level : {GIT_CONFIG_LEVEL_SYSTEM, GIT_CONFIG_LEVEL_GLOBAL, GIT_CONFIG_LEVEL_XDG})
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, "");
  if (!s.ca_file.empty() || !s.ca_dir.empty()) {
    if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, s.ca_file.empty() ? nullptr : s.ca_file.c_str(),
                         s.ca_dir.empty() ? nullptr : s.ca_dir.c_str()) < 0)
      fail(what, "loading CA certificates from " + (s.ca_file.empty() ? s.ca_dir : s.ca_file), s);
  }

  log.info(std::string("Fetching ") + (label == "git context" ? "git context " : "git repository ") + what);
  fs::create_directories(dest);
  git_repository* raw_repo = nullptr;
  if (git_repository_init(&raw_repo, dest.c_str(), 0) < 0) fail(what, "creating a repository in " + dest.string(), s);
  Repo repo(raw_repo);
  git_remote* raw_remote = nullptr;
  if (git_remote_create(&raw_remote, repo.get(), "origin", loc.url.c_str()) < 0) fail(what, "adding the remote", s);
  Remote remote(raw_remote);

  git_remote_connect_options co;
  git_remote_connect_options_init(&co, GIT_REMOTE_CONNECT_OPTIONS_VERSION);
  co.callbacks = callbacks(s);
  co.proxy_opts.type = GIT_PROXY_AUTO;
  s.auth_calls = 0;
  if (git_remote_connect_ext(remote.get(), GIT_DIRECTION_FETCH, &co) < 0) fail(what, "connecting", s);

  // Which remote ref to check out: the one named (as a branch, then a tag),
  // else what the remote's HEAD points at.
  const git_remote_head** heads = nullptr;
  std::size_t n = 0;
  if (git_remote_ls(&heads, &n, remote.get()) < 0) fail(what, "listing refs", s);
  auto has = [&](const std::string& name) {
    for (std::size_t i = 0; i < n; ++i)
      if (name == heads[i]->name) return true;
    return false;
  };
  std::string target;
  if (ref.empty()) {
    git_buf b = GIT_BUF_INIT;
    if (git_remote_default_branch(&b, remote.get()) == 0) target.assign(b.ptr, b.size);
    git_buf_dispose(&b);
    if (target.empty()) throw IoError(s.label + " " + what + ": the repository has no default branch (is it empty?)");
  } else {
    for (const std::string& c : candidate_refs(ref))
      if (has(c)) {
        target = c;
        break;
      }
    if (target.empty())
      throw IoError(s.label + " " + what + ": the repository has no " +
                    (ref.rfind("refs/", 0) == 0 ? "ref " + ref : "branch or tag named '" + ref + "'"));
  }

  // single-branch=true fetches the one ref; otherwise every branch too, as
  // `git clone` does. depth=N cuts each one's history to N commits.
  std::vector<std::string> specs{"+" + target + ":" + local_ref(target)};
  if (!flags.single_branch) specs.push_back("+refs/heads/*:refs/remotes/origin/*");
  std::vector<char*> spec_ptrs;
  for (auto& sp : specs) spec_ptrs.push_back(sp.data());
  git_strarray refspecs{spec_ptrs.data(), spec_ptrs.size()};
  git_fetch_options fo;
  git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
  fo.callbacks = callbacks(s);
  fo.proxy_opts.type = GIT_PROXY_AUTO;
  fo.download_tags = flags.single_branch ? GIT_REMOTE_DOWNLOAD_TAGS_NONE : GIT_REMOTE_DOWNLOAD_TAGS_AUTO;
  set_depth(fo, flags.depth);
  s.auth_calls = 0;
  if (git_remote_fetch(remote.get(), &refspecs, &fo, "kiln: fetch build context") < 0) fail(what, "fetching", s);
  const git_indexer_progress* st = git_remote_stats(remote.get());

  // The commit to check out: the pinned one (which must be in what was
  // fetched), else the tip of the target ref (tags peeled).
  git_object* raw_commit = nullptr;
  if (!loc.commit.empty()) {
    git_oid id;
    int rc = git_oid_fromstrn(&id, loc.commit.data(), loc.commit.size());
    if (rc == 0) rc = git_object_lookup_prefix(&raw_commit, repo.get(), &id, loc.commit.size(), GIT_OBJECT_COMMIT);
    if (rc == GIT_EAMBIGUOUS)
      throw UsageError(s.label + " " + what + ": commit " + loc.commit + " is ambiguous; give more digits");
    if (rc < 0)
      throw IoError(s.label + " " + what + ": commit " + loc.commit + " is not in the history fetched (" + target +
                    (flags.single_branch ? " only, as single-branch=true asks" : " and every branch") +
                    (flags.depth > 0 ? "; the last " + std::to_string(flags.depth) + " commit(s) of each, as depth=" +
                                           std::to_string(flags.depth) + " asks)"
                                     : ")"));
  } else {
    std::string spec = local_ref(target) + "^{commit}";
    if (git_revparse_single(&raw_commit, repo.get(), spec.c_str()) < 0) fail(what, "finding the commit of " + target, s);
  }
  Object commit(raw_commit);
  const git_oid* oid = git_object_id(commit.get());

  git_checkout_options cko;
  git_checkout_options_init(&cko, GIT_CHECKOUT_OPTIONS_VERSION);
  cko.checkout_strategy = GIT_CHECKOUT_FORCE;
  if (git_checkout_tree(repo.get(), commit.get(), &cko) < 0) fail(what, "checking out", s);
  // HEAD as `git clone -b` leaves it: on a local branch when a branch tip was
  // asked for, detached otherwise.
  const std::string heads_prefix = "refs/heads/";
  if (loc.commit.empty() && target.rfind(heads_prefix, 0) == 0) {
    git_reference* raw_branch = nullptr;
    std::string branch = target.substr(heads_prefix.size());
    if (git_branch_create(&raw_branch, repo.get(), branch.c_str(), reinterpret_cast<git_commit*>(commit.get()), 1) < 0)
      fail(what, "creating branch " + branch, s);
    Reference keep(raw_branch);
    if (git_repository_set_head(repo.get(), target.c_str()) < 0) fail(what, "setting HEAD", s);
  } else if (git_repository_set_head_detached(repo.get(), oid) < 0) {
    fail(what, "setting HEAD", s);
  }

  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, oid);
  log.info("Checked out " + std::string(hex) + " (" + (loc.commit.empty() ? "tip of " : "pinned, fetched with ") +
           target + ") from " + loc.url + " (" + std::to_string(st->received_objects) + " objects, " +
           std::to_string(st->received_bytes) + " bytes fetched" +
           (flags.depth > 0 ? ", shallow: depth " + std::to_string(flags.depth) : "") + ")");

  if (flags.recurse_submodules) update_submodules(repo.get(), s, what, log, 0);
  return hex;
}

}  // namespace kiln::context
