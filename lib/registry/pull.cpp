// Pulling: manifests (with platform resolution) and blobs, verified.
#include <algorithm>

#include "base/error.h"
#include "digest/sha256.h"
#include "http/client.h"
#include "http/transport_error.h"
#include "image/media_types.h"
#include "registry/client.h"
#include "registry/index_entries.h"
#include "registry/platform_match.h"
#include "registry/progress.h"
#include "registry/status_error.h"

namespace kiln::registry {
namespace {

// Manifests are small; a bigger answer is a misbehaving server.
constexpr std::size_t kMaxManifestBytes = 4 << 20;

std::string accept_header() {
  return "Accept: " + std::string(image::media::kOciManifest) + ", " + std::string(image::media::kOciIndex) + ", " +
         std::string(image::media::kDockerManifest) + ", " + std::string(image::media::kDockerManifestList);
}

std::string content_type(const http::Response& r) {
  std::string t = r.header("content-type").value_or("");
  t = t.substr(0, t.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t;
}

void require_sha256(const std::string& what, const std::string& d) {
  if (d.rfind("sha256:", 0) != 0) throw IoError(what + ": only sha256 digests are supported, not " + d);
}

}  // namespace

template <class T>
T Client::try_candidates(const Reference& ref, const std::string& what,
                         const std::function<T(const Reference&)>& fn) {
  auto cands = pull_candidates(ref);
  for (std::size_t i = 0;; ++i) {
    try {
      return fn(cands[i]);
    } catch (const UsageError&) {
      throw;
    } catch (const http::Cancelled&) {
      throw;  // not the mirror's fault: no other is tried
    } catch (const Error& e) {
      if (i + 1 >= cands.size()) throw;
      log_.warn(what + " from " + cands[i].repo_str() + " failed, trying " + cands[i + 1].repo_str() + ": " +
                e.what());
    }
  }
}

Manifest Client::get_manifest(const Reference& ref) {
  return try_candidates<Manifest>(ref, "pulling manifest " + ref.str(),
                                  [&](const Reference& c) { return get_manifest_from(c); });
}

Manifest Client::get_manifest_from(const Reference& ref) {
  const std::string what = "pulling manifest " + ref.str();
  Manifest m;
  with_retry(policy(Mode::Pull), log_, what, [&](int) {
    http::Request req;
    req.url = "/v2/" + ref.repository + "/manifests/" + ref.identifier();
    req.headers.push_back(accept_header());
    std::string body;
    auto sink = [&](const char* p, std::size_t n) {
      if (body.size() + n > kMaxManifestBytes) throw IoError(what + ": manifest larger than 4 MiB");
      body.append(p, n);
    };
    auto resp = send(ref.registry, Mode::Pull, req, {repository_scope(ref.repository, "pull")}, sink);
    if (resp.status != 200) fail(what, ref.registry, resp);
    std::string computed = "sha256:" + digest::sha256_hex(body);
    if (auto said = resp.header("docker-content-digest"); said && said->rfind("sha256:", 0) == 0 && *said != computed)
      throw IoError(what + ": the registry says the manifest is " + *said + " but its content hashes to " + computed);
    if (!ref.digest.empty()) {
      require_sha256(what, ref.digest);
      if (ref.digest != computed)
        throw IoError(what + ": digest mismatch: asked for " + ref.digest + ", content hashes to " + computed);
    }
    std::string type = content_type(resp);
    if (!image::media::is_index(type) && !image::media::is_manifest(type)) {
      // Some registries answer application/json; the document then says.
      std::string field = media_type_field(body);
      if (!field.empty())
        type = field;
      else
        type = body.find("\"manifests\"") != std::string::npos ? std::string(image::media::kOciIndex)
                                                                : std::string(image::media::kOciManifest);
    }
    m = Manifest{type, std::move(body), computed, ref};
  });
  return m;
}

Manifest Client::resolve(const Reference& ref, const image::Platform& platform) {
  Manifest top = get_manifest(ref);
  if (!image::media::is_index(top.media_type)) return top;
  auto entries = parse_index_entries(top.bytes, ref.str());
  auto chosen = select_platform(entries, platform);
  if (!chosen) {
    std::string avail;
    for (const auto& e : entries)
      if (e.platform) avail += (avail.empty() ? "" : ", ") + e.platform->str();
    throw Error("no image for platform " + platform.str() + " in " + ref.str() +
                "; available: " + (avail.empty() ? "none listed" : avail));
  }
  log_.debug("resolved " + ref.str() + " for " + platform.str() + " to " + chosen->digest);
  // The entry lives where the index came from (a mirror, maybe).
  Manifest child = get_manifest_from(with_digest(top.source, chosen->digest));
  if (static_cast<std::int64_t>(child.bytes.size()) != chosen->size)
    throw IoError("pulling manifest " + ref.str() + ": entry " + chosen->digest + " has " +
                  std::to_string(child.bytes.size()) + " bytes, the index says " + std::to_string(chosen->size));
  return child;
}

std::optional<std::string> Client::head_manifest(const Reference& ref) {
  const std::string what = "checking manifest " + ref.str();
  std::optional<std::string> out;
  with_retry(policy(Mode::Pull), log_, what, [&](int) {
    http::Request req;
    req.method = "HEAD";
    req.url = "/v2/" + ref.repository + "/manifests/" + ref.identifier();
    req.headers.push_back(accept_header());
    auto resp = send(ref.registry, Mode::Pull, req, {repository_scope(ref.repository, "pull")});
    if (resp.status == 404) {
      out.reset();
      return;
    }
    if (resp.status != 200) fail(what, ref.registry, resp);
    out = resp.header("docker-content-digest").value_or("");
  });
  return out;
}

void Client::fetch_blob(const Reference& repo, const image::Descriptor& desc, const http::Sink& sink) {
  const std::string what = "pulling blob " + desc.digest + " from " + repo.repo_str();
  require_sha256(what, desc.digest);
  // Only what reaches the sink is hashed; a retry (or the next mirror)
  // downloads from the start again and skips what was already delivered, so
  // the hash always covers exactly the bytes the caller got.
  digest::Sha256 hasher;
  std::int64_t delivered = 0;
  Progress progress(log_, "Pulling", desc.digest, desc.size, opts_.progress_interval);
  auto candidates = pull_candidates(repo);
  for (std::size_t i = 0;; ++i) {
    const Reference& c = candidates[i];
    try {
      with_retry(policy(Mode::Pull), log_, what, [&](int) {
        std::int64_t seen = 0;
        auto tee = [&](const char* p, std::size_t n) {
          std::int64_t skip = std::clamp<std::int64_t>(delivered - seen, 0, static_cast<std::int64_t>(n));
          seen += static_cast<std::int64_t>(n);
          p += skip;
          n -= static_cast<std::size_t>(skip);
          if (n == 0) return;
          if (delivered + static_cast<std::int64_t>(n) > desc.size)
            throw IoError(what + ": more data than the " + std::to_string(desc.size) +
                          " bytes the descriptor says; discard what was received");
          hasher.update(p, n);
          sink(p, n);
          delivered += static_cast<std::int64_t>(n);
          progress.add(n);
        };
        http::Request req;
        req.url = "/v2/" + c.repository + "/blobs/" + desc.digest;
        auto resp = send(c.registry, Mode::Pull, req, {repository_scope(c.repository, "pull")}, tee);
        if (resp.status != 200) fail(what, c.registry, resp);
        // A body that ended early but looked complete (a proxy or registry
        // announcing too short a Content-Length) is a broken transfer like a
        // reset: retried, resuming after what was delivered.
        if (delivered < desc.size)
          throw http::TransportError(what + " via " + c.registry + ": the response ended after " +
                                         std::to_string(delivered) + " of " + std::to_string(desc.size) + " bytes",
                                     0);
      });
      break;
    } catch (const UsageError&) {
      throw;
    } catch (const http::Cancelled&) {
      throw;  // not the mirror's fault: no other is tried
    } catch (const Error& e) {
      // Data already delivered binds us to this stream's content; another
      // mirror serving the same digest is still fine since the hash covers
      // everything delivered.
      if (i + 1 >= candidates.size()) throw;
      log_.warn(what + " via " + c.registry + " failed, trying " + candidates[i + 1].registry + ": " + e.what());
    }
  }
  if (delivered != desc.size)
    throw IoError(what + ": got " + std::to_string(delivered) + " bytes, expected " + std::to_string(desc.size) +
                  "; discard what was received");
  std::string got = "sha256:" + hasher.hex_final();
  if (got != desc.digest)
    throw IoError(what + ": digest mismatch: content hashes to " + got + "; discard what was received");
}

std::string Client::fetch_blob_bytes(const Reference& repo, const image::Descriptor& desc) {
  std::string out;
  fetch_blob(repo, desc, [&](const char* p, std::size_t n) { out.append(p, n); });
  return out;
}

}  // namespace kiln::registry
