#pragma once
// A client for the OCI distribution API (and Docker's registry v2): pull
// manifests and blobs, push blobs and manifests, with Basic and Bearer auth,
// mirrors, retries and progress lines. Thread-safe: several layers can be
// fetched or pushed at once through one Client.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "http/client.h"
#include "image/descriptor.h"
#include "log/log.h"
#include "registry/auth.h"
#include "registry/blob_source.h"
#include "registry/credentials.h"
#include "registry/reference.h"
#include "registry/retry.h"

namespace kiln::registry {

struct Options {
  std::set<std::string> insecure_registries;  // may use plain HTTP (--insecure-registry)
  bool insecure_all = false;                   // --insecure
  bool insecure_pull = false;                  // --insecure-pull
  std::set<std::string> skip_verify_registries;  // --skip-tls-verify-registry
  bool skip_verify_all = false;                  // --skip-tls-verify
  bool skip_verify_pull = false;                 // --skip-tls-verify-pull
  std::map<std::string, std::string> registry_ca;  // --registry-certificate reg=path
  std::map<std::string, std::pair<std::string, std::string>> registry_client_cert;  // reg -> (cert, key)
  std::string ca_file = "/kaniko/ssl/certs/ca-certificates.crt";  // "" = libcurl's default
  std::string ca_dir;                                              // SSL_CERT_DIR, when the caller has one
  std::vector<std::string> mirrors;  // --registry-mirror, Docker Hub only, "host" or "host/path"
  std::map<std::string, std::vector<std::string>> registry_map;  // --registry-map
  bool skip_default_registry_fallback = false;
  int push_retry = 0;
  int pull_retry = 0;
  // Tunables (defaults suit production; tests shrink them).
  std::chrono::milliseconds retry_initial_delay{1000};
  std::chrono::milliseconds retry_max_delay{30000};
  std::int64_t chunked_upload_threshold = 64LL << 20;  // larger blobs go up in PATCH chunks
  std::int64_t upload_chunk_size = 16LL << 20;
  std::chrono::milliseconds progress_interval{5000};
  long connect_timeout_s = 30;
  std::string user_agent = "kiln";
  std::function<bool()> cancelled;  // see http::Client::Options::cancelled
};

struct Manifest {
  std::string media_type;  // from Content-Type, else the document's mediaType
  std::string bytes;
  std::string digest;  // "sha256:…" of bytes, verified
  Reference source;    // where it was actually fetched (a mirror, maybe)
};

class Client {
 public:
  Client(Options opts, Keychain keychain, log::Logger& log);
  ~Client();

  // Any of the four manifest/index media types. Verifies the digest against
  // Docker-Content-Digest and against ref.digest when pinned.
  Manifest get_manifest(const Reference& ref);
  // Like get_manifest, but an index is followed to the entry for `platform`.
  // Throws kiln::Error listing the available platforms when none matches.
  Manifest resolve(const Reference& ref, const image::Platform& platform = {});
  // Whether a manifest exists, without downloading it; nullopt when it does
  // not (404), else its digest as the registry reports it (may be empty).
  std::optional<std::string> head_manifest(const Reference& ref);

  // Streams a blob into `sink`, then checks size and SHA-256; a mismatch
  // throws IoError naming the digest, and the caller must discard whatever
  // the sink received. Retries resume without re-delivering bytes.
  void fetch_blob(const Reference& repo, const image::Descriptor& desc, const http::Sink& sink);
  std::string fetch_blob_bytes(const Reference& repo, const image::Descriptor& desc);
  bool blob_exists(const Reference& repo, const std::string& digest);

  // Uploads a blob unless the repository has it; mounts it from a candidate
  // repository on the same registry when possible. `open` is called once per
  // attempt.
  void push_blob(const Reference& repo, const image::Descriptor& desc,
                 const std::function<std::unique_ptr<BlobSource>()>& open,
                 const std::vector<Reference>& mount_candidates = {});
  // An upload whose size and digest are known only at its end (a layer sent
  // while it is being written): start_upload opens a session and returns its
  // location; append_upload sends the next bytes, starting at `offset`, and
  // returns where the session goes on; finish_upload closes it with the
  // digest, which the registry checks. One attempt each: a failed stream is
  // abandoned (the registry purges the session), not resumed.
  std::string start_upload(const Reference& repo);
  std::string append_upload(const Reference& repo, const std::string& location, std::int64_t offset,
                            std::string body);
  // The rest of the blob in one PATCH of unknown length (chunked transfer
  // encoding, as docker push streams a layer): `reader` fills the buffer,
  // may block until it has bytes, returns 0 at the end and throws to abort.
  std::string stream_upload(const Reference& repo, const std::string& location,
                            std::function<std::size_t(char*, std::size_t)> reader);
  void finish_upload(const Reference& repo, const std::string& location, const std::string& digest);
  // Whether the credentials may push to `repo`: an upload session is opened
  // and cancelled (push_check.cpp). Throws StatusError (401/403 naming the
  // credentials' origin, 404 for a repository that does not exist) otherwise.
  void check_push_permission(const Reference& repo);

  // PUTs a manifest by ref.tag (or ref.digest when no tag); returns its digest.
  // A registry refusing to move an immutable tag throws ImmutableTagError.
  std::string put_manifest(const Reference& ref, std::string_view media_type, const std::string& bytes);

  // docker login's check: GET /v2/ on `registry` (push settings) with the
  // keychain's credential for it; a Bearer challenge fetches a token with no
  // scope, which is where a token server checks the password. Returns false
  // when the registry asks for no credentials (nothing was checked). Throws
  // StatusError (401/403: refused) or a transport error. Defined in
  // login_check.cpp.
  bool check_login(const std::string& registry);

  // Where pulls of `ref` are tried, in order (mirrors, map, origin).
  std::vector<Reference> pull_candidates(const Reference& ref) const;

 private:
  enum class Mode { Pull, Push };
  struct Endpoint {
    std::string base;     // "https://reg:5000"
    Challenge challenge;  // scheme "" when the registry needs no auth
  };
  Endpoint endpoint(const std::string& registry, Mode mode);
  http::Client& http_for(Mode mode) { return mode == Mode::Pull ? *pull_http_ : *push_http_; }
  // Sends `req` (path relative to the registry base) with authorization for
  // `scopes`, renewing a refused token once.
  http::Response send(const std::string& registry, Mode mode, http::Request req,
                      const std::vector<std::string>& scopes, const http::Sink& sink = {});
  [[noreturn]] void fail(const std::string& what, const std::string& registry, const http::Response& resp);
  RetryPolicy policy(Mode mode) const;
  bool may_use_http(const std::string& registry, Mode mode) const;
  template <class T>
  T try_candidates(const Reference& ref, const std::string& what, const std::function<T(const Reference&)>& fn);

  Manifest get_manifest_from(const Reference& ref);
  bool try_mount(const Reference& repo, const image::Descriptor& desc, const Reference& from,
                 std::string& upload_location);
  void upload(const Reference& repo, const image::Descriptor& desc, std::string location,
              const std::function<std::unique_ptr<BlobSource>()>& open);

  Options opts_;
  Keychain keychain_;
  log::Logger& log_;
  std::unique_ptr<http::Client> pull_http_, push_http_;
  std::unique_ptr<http::Client> cloud_http_;  // built-in helpers' token services
  std::unique_ptr<Authenticator> pull_auth_, push_auth_;
  std::mutex mu_;
  std::map<std::string, Endpoint> endpoints_;  // key: mode + registry
};

}  // namespace kiln::registry
