// Pushing: blobs (existence check, cross-repository mount, monolithic or
// chunked upload) and manifests.
#include <algorithm>
#include <cstring>

#include "base/error.h"
#include "digest/sha256.h"
#include "http/url.h"
#include "registry/client.h"
#include "registry/progress.h"
#include "registry/status_error.h"

namespace kiln::registry {
namespace {

std::string with_query(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

// Wraps a BlobSource: counts, hashes and reports progress, and refuses a
// source that yields more or fewer bytes than the descriptor says.
class CheckedReader {
 public:
  CheckedReader(BlobSource& src, const image::Descriptor& desc, Progress& progress, std::string what)
      : src_(src), desc_(desc), progress_(progress), what_(std::move(what)) {}

  std::size_t read(char* buf, std::size_t cap) {
    std::size_t n = src_.read(buf, cap);
    if (n == 0 && count_ < desc_.size)
      throw IoError(what_ + ": the blob source ended after " + std::to_string(count_) + " of " +
                    std::to_string(desc_.size) + " bytes");
    count_ += static_cast<std::int64_t>(n);
    if (count_ > desc_.size)
      throw IoError(what_ + ": the blob source has more than the " + std::to_string(desc_.size) + " bytes declared");
    hasher_.update(buf, n);
    progress_.add(n);
    return n;
  }
  // After the last byte: the content must be what the descriptor names.
  void verify() {
    std::string got = "sha256:" + hasher_.hex_final();
    if (got != desc_.digest) throw IoError(what_ + ": the blob source hashes to " + got + ", not " + desc_.digest);
  }
  std::int64_t count() const { return count_; }

 private:
  BlobSource& src_;
  const image::Descriptor& desc_;
  Progress& progress_;
  std::string what_;
  digest::Sha256 hasher_;
  std::int64_t count_ = 0;
};

}  // namespace

bool Client::blob_exists(const Reference& repo, const std::string& digest) {
  const std::string what = "checking blob " + digest + " in " + repo.repo_str();
  bool exists = false;
  with_retry(policy(Mode::Push), log_, what, [&](int) {
    http::Request req;
    req.method = "HEAD";
    req.url = "/v2/" + repo.repository + "/blobs/" + digest;
    auto resp = send(repo.registry, Mode::Push, req, {repository_scope(repo.repository, "pull")});
    if (resp.status == 200) {
      exists = true;
    } else if (resp.status == 404) {
      exists = false;
    } else {
      fail(what, repo.registry, resp);
    }
  });
  return exists;
}

bool Client::try_mount(const Reference& repo, const image::Descriptor& desc, const Reference& from,
                       std::string& upload_location) {
  http::Request req;
  req.method = "POST";
  req.url = "/v2/" + repo.repository + "/blobs/uploads/?mount=" + http::uri_encode(desc.digest) +
            "&from=" + http::uri_encode(from.repository);
  auto resp = send(repo.registry, Mode::Push, req,
                   {repository_scope(repo.repository, "pull,push"), repository_scope(from.repository, "pull")});
  if (resp.status == 201) {
    log_.info("Mounted " + desc.digest + " from " + from.repo_str());
    return true;
  }
  if (resp.status == 202) {
    // The registry could not mount but opened an ordinary upload for us.
    if (auto loc = resp.header("location")) upload_location = *loc;
    return false;
  }
  if (resp.status >= 500 || resp.status == 429) fail("mounting " + desc.digest + " into " + repo.repo_str(), repo.registry, resp);
  log_.debug("mounting " + desc.digest + " from " + from.repo_str() + " refused: " + status_text(resp.status));
  return false;
}

void Client::push_blob(const Reference& repo, const image::Descriptor& desc,
                       const std::function<std::unique_ptr<BlobSource>()>& open,
                       const std::vector<Reference>& mount_candidates) {
  const std::string what = "pushing blob " + desc.digest + " to " + repo.repo_str();
  if (desc.digest.rfind("sha256:", 0) != 0) throw IoError(what + ": only sha256 digests are supported");
  const std::vector<std::string> scopes{repository_scope(repo.repository, "pull,push")};
  with_retry(policy(Mode::Push), log_, what, [&](int) {
    http::Request head;
    head.method = "HEAD";
    head.url = "/v2/" + repo.repository + "/blobs/" + desc.digest;
    auto h = send(repo.registry, Mode::Push, head, scopes);
    if (h.status == 200) {
      log_.debug("blob " + desc.digest + " already in " + repo.repo_str());
      return;
    }
    if (h.status != 404) fail(what, repo.registry, h);

    std::string location;
    for (const auto& from : mount_candidates) {
      if (from.registry != repo.registry || from.repository == repo.repository) continue;
      if (try_mount(repo, desc, from, location)) return;
      if (!location.empty()) break;
    }
    if (location.empty()) {
      http::Request start;
      start.method = "POST";
      start.url = "/v2/" + repo.repository + "/blobs/uploads/";
      auto s = send(repo.registry, Mode::Push, start, scopes);
      if (s.status != 202) fail(what, repo.registry, s);
      auto loc = s.header("location");
      if (!loc) throw IoError(what + ": the registry started an upload without a Location");
      location = *loc;
    }
    upload(repo, desc, location, open);
  });
}

void Client::upload(const Reference& repo, const image::Descriptor& desc, std::string location,
                    const std::function<std::unique_ptr<BlobSource>()>& open) {
  const std::string what = "pushing blob " + desc.digest + " to " + repo.repo_str();
  const std::vector<std::string> scopes{repository_scope(repo.repository, "pull,push")};
  Endpoint ep = endpoint(repo.registry, Mode::Push);
  auto absolute = [&](const std::string& loc) { return http::resolve_location(ep.base + "/v2/", loc); };
  location = absolute(location);

  auto src = open();
  if (!src) throw IoError(what + ": no blob source");
  Progress progress(log_, "Pushing", desc.digest, desc.size, opts_.progress_interval);
  CheckedReader reader(*src, desc, progress, what);

  if (desc.size <= opts_.chunked_upload_threshold) {
    http::Request put;
    put.method = "PUT";
    put.url = with_query(location, "digest=" + http::uri_encode(desc.digest));
    put.headers.push_back("Content-Type: application/octet-stream");
    put.reader = [&](char* buf, std::size_t cap) {
      // Never hand libcurl more than declared: it would send it.
      std::size_t left = static_cast<std::size_t>(desc.size - reader.count());
      return left == 0 ? 0 : reader.read(buf, std::min(cap, left));
    };
    put.reader_size = desc.size;
    auto resp = send(repo.registry, Mode::Push, put, scopes);
    if (resp.status != 201) fail(what, repo.registry, resp);
    reader.verify();
    return;
  }

  // Chunked: PATCH successive ranges, following the Location each answer
  // gives, then close the session with an empty PUT naming the digest.
  while (reader.count() < desc.size) {
    std::int64_t start = reader.count();
    std::size_t want = static_cast<std::size_t>(std::min<std::int64_t>(opts_.upload_chunk_size, desc.size - start));
    std::string chunk(want, '\0');
    std::size_t got = 0;
    while (got < want) got += reader.read(chunk.data() + got, want - got);
    location = append_upload(repo, location, start, std::move(chunk));
  }
  reader.verify();
  finish_upload(repo, location, desc.digest);
}

std::string Client::start_upload(const Reference& repo) {
  const std::string what = "starting an upload to " + repo.repo_str();
  http::Request start;
  start.method = "POST";
  start.url = "/v2/" + repo.repository + "/blobs/uploads/";
  auto s = send(repo.registry, Mode::Push, start, {repository_scope(repo.repository, "pull,push")});
  if (s.status != 202) fail(what, repo.registry, s);
  auto loc = s.header("location");
  if (!loc) throw IoError(what + ": the registry started an upload without a Location");
  return http::resolve_location(endpoint(repo.registry, Mode::Push).base + "/v2/", *loc);
}

std::string Client::append_upload(const Reference& repo, const std::string& location, std::int64_t offset,
                                  std::string body) {
  const std::string what = "uploading to " + repo.repo_str();
  const auto size = static_cast<std::int64_t>(body.size());
  http::Request patch;
  patch.method = "PATCH";
  patch.url = location;
  patch.headers.push_back("Content-Type: application/octet-stream");
  patch.headers.push_back("Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + size - 1));
  patch.body = std::move(body);
  auto resp = send(repo.registry, Mode::Push, patch, {repository_scope(repo.repository, "pull,push")});
  if (resp.status != 202) fail(what, repo.registry, resp);
  auto loc = resp.header("location");
  return loc ? http::resolve_location(endpoint(repo.registry, Mode::Push).base + "/v2/", *loc) : location;
}

std::string Client::stream_upload(const Reference& repo, const std::string& location,
                                  std::function<std::size_t(char*, std::size_t)> reader) {
  http::Request patch;
  patch.method = "PATCH";
  patch.url = location;
  patch.headers.push_back("Content-Type: application/octet-stream");
  patch.headers.push_back("Transfer-Encoding: chunked");
  patch.reader = std::move(reader);  // reader_size -1: no Content-Length
  auto resp = send(repo.registry, Mode::Push, patch, {repository_scope(repo.repository, "pull,push")});
  if (resp.status != 202) fail("uploading to " + repo.repo_str(), repo.registry, resp);
  auto loc = resp.header("location");
  return loc ? http::resolve_location(endpoint(repo.registry, Mode::Push).base + "/v2/", *loc) : location;
}

void Client::finish_upload(const Reference& repo, const std::string& location, const std::string& digest) {
  http::Request put;
  put.method = "PUT";
  put.url = with_query(location, "digest=" + http::uri_encode(digest));
  auto resp = send(repo.registry, Mode::Push, put, {repository_scope(repo.repository, "pull,push")});
  if (resp.status != 201) fail("pushing blob " + digest + " to " + repo.repo_str(), repo.registry, resp);
}

std::string Client::put_manifest(const Reference& ref, std::string_view media_type, const std::string& bytes) {
  const std::string what = "pushing manifest to " + ref.str();
  std::string computed = "sha256:" + digest::sha256_hex(bytes);
  if (!ref.digest.empty() && ref.tag.empty() && ref.digest != computed)
    throw IoError(what + ": the manifest hashes to " + computed + ", not the digest in the reference");
  with_retry(policy(Mode::Push), log_, what, [&](int) {
    http::Request put;
    put.method = "PUT";
    put.url = "/v2/" + ref.repository + "/manifests/" + (ref.tag.empty() ? ref.digest : ref.tag);
    put.headers.push_back("Content-Type: " + std::string(media_type));
    put.body = bytes;
    auto resp = send(ref.registry, Mode::Push, put, {repository_scope(ref.repository, "pull,push")});
    if (resp.status != 201 && resp.status != 200 && !ref.tag.empty() && is_immutable_tag_refusal(resp.status, resp.body)) {
      try {
        fail(what, ref.registry, resp);
      } catch (const StatusError& e) {
        throw ImmutableTagError(e.what(), e.status());
      }
    }
    if (resp.status != 201 && resp.status != 200) fail(what, ref.registry, resp);
    if (auto said = resp.header("docker-content-digest"); said && *said != computed)
      log_.warn(what + ": the registry reports digest " + *said + ", the manifest hashes to " + computed);
  });
  return computed;
}

}  // namespace kiln::registry
