#include "context/object_source.h"

#include <algorithm>
#include <ctime>
#include <exception>
#include <thread>

#include "base/error.h"
#include "context/tar_unpack.h"
#include "http/client.h"
#include "http/transport_error.h"
#include "http/url.h"
#include "layer/pipe.h"
#include "objstore/aws_credentials.h"
#include "objstore/azure_request.h"
#include "objstore/gcp_token.h"
#include "objstore/gcs_request.h"
#include "objstore/s3_request.h"
#include "objstore/store_error.h"

namespace kiln::context {
namespace {

// What one download produced: the response when the server answered (its
// body only for errors; a 2xx body went into the extractor).
struct Download {
  http::Response resp;
  bool answered = false;
};

// Streams the GET's body into the extractor through layer::BytePipe: the
// transfer runs on a second thread, extraction on this one, so the archive is
// never held whole.
Download stream_into_dest(http::Client& client, const http::Request& req, const std::filesystem::path& dest,
                          const std::string& what, log::Logger& log) {
  layer::BytePipe pipe(1 << 20);
  Download d;
  std::exception_ptr transfer_error;
  bool stopped_by_reader = false;  // the transfer ended because extraction did
  std::thread transfer([&] {
    try {
      d.resp = client.perform(req, [&](const char* p, std::size_t n) {
        try {
          pipe.write(p, n);
        } catch (...) {
          stopped_by_reader = true;
          throw;
        }
      });
      d.answered = true;
    } catch (...) {
      transfer_error = std::current_exception();
    }
    pipe.close();
  });
  std::exception_ptr extract_error;
  layer::ExtractStats stats;
  try {
    // Only a 2xx body reaches the pipe: an error answer leaves it empty, and
    // then there is nothing to extract.
    std::string first(1 << 16, '\0');
    first.resize(pipe.read(first.data(), first.size()));
    if (!first.empty()) {
      std::size_t off = 0;
      stats = unpack_tar(
          [&](char* b, std::size_t n) {
            if (off < first.size()) {
              std::size_t k = std::min(n, first.size() - off);
              std::copy_n(first.data() + off, k, b);
              off += k;
              return k;
            }
            return pipe.read(b, n);
          },
          dest, what, log);
      // Whatever follows the tar's end (gzip trailer, padding) must still be
      // read so the transfer completes and its status is known.
      char rest[1 << 14];
      while (pipe.read(rest, sizeof rest) > 0) {
      }
    }
  } catch (...) {
    extract_error = std::current_exception();
    pipe.abort();
  }
  transfer.join();

  if (d.answered && (d.resp.status < 200 || d.resp.status >= 300)) return d;  // the caller words it
  std::string where = http::url_for_message(req.url);
  // A transfer that failed on its own (not because extraction stopped it) is
  // the cause: a cut connection also leaves the extractor with a short archive.
  if (transfer_error && !stopped_by_reader) {
    try {
      std::rethrow_exception(transfer_error);
    } catch (const std::exception& e) {
      throw IoError("context " + what + ": downloading " + where + ": " + e.what());
    }
  }
  if (extract_error) std::rethrow_exception(extract_error);
  if (stats.entries == 0) throw UsageError("context " + what + ": the archive at " + where + " holds no entries");
  return d;
}

// `object` names what must exist: "bucket and object", "container and blob".
[[noreturn]] void fail(const std::string& what, const http::Request& req, const http::Response& r,
                       std::string_view object) {
  std::string hint;
  if (r.status == 401 || r.status == 403) hint = "; check the credentials";
  if (r.status == 404) hint = "; check that the " + std::string(object) + " exist";
  throw IoError("context " + what + ": " + objstore::describe_store_error(r.status, r.body) + " from " +
                http::url_for_message(req.url) + hint);
}

void fetch_s3(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest, http::Client& client) {
  log::Logger& log = *opts.log;
  std::string what = "s3://" + spec.location;
  auto loc = objstore::parse_s3_location(spec.location);
  auto settings = objstore::s3_settings(opts.getenv);
  auto creds = objstore::aws_credentials(opts.getenv, settings.region, client, log);
  for (int attempt = 0;; ++attempt) {
    auto target = objstore::s3_target(loc, settings);
    auto req = objstore::s3_get(target, settings.region, creds, std::time(nullptr));
    log.info("Downloading context " + what + " from " + http::url_for_message(target.url));
    Download d = stream_into_dest(client, req, dest, what, log);
    if (d.resp.status >= 200 && d.resp.status < 300) return;
    // A bucket in another region: S3 (and MinIO) say which in a header, and
    // the request must be signed (and on AWS, addressed) for that region.
    auto region = d.resp.header("x-amz-bucket-region");
    if (attempt == 0 && region && !region->empty() && *region != settings.region) {
      log.info("S3: bucket " + loc.bucket + " is in " + *region + ", retrying there");
      settings.region = *region;
      continue;
    }
    fail(what, req, d.resp, "bucket and object");
  }
}

void fetch_gcs(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest,
               const http::Client::Options& ho, http::Client& client) {
  log::Logger& log = *opts.log;
  std::string what = "gs://" + spec.location;
  auto loc = objstore::parse_gcs_location(spec.location);
  std::string url = objstore::gcs_media_url(loc, opts.getenv);
  auto token = objstore::gcp_access_token(opts.getenv, ho, log, std::time(nullptr));
  auto req = objstore::gcs_get(url, token);
  log.info("Downloading context " + what + " from " + http::url_for_message(url));
  Download d = stream_into_dest(client, req, dest, what, log);
  if (d.resp.status < 200 || d.resp.status >= 300) fail(what, req, d.resp, "bucket and object");
}

void fetch_azure(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest,
                 http::Client& client) {
  log::Logger& log = *opts.log;
  std::string what = http::url_for_message(spec.location);
  auto target = objstore::azure_target(spec.location, opts.getenv);
  if (target.key.empty()) log.info("Azure: no account key in the environment, the request goes out unsigned");
  auto req = objstore::azure_get(target, std::time(nullptr));
  log.info("Downloading context " + what + " from " + http::url_for_message(target.url));
  Download d = stream_into_dest(client, req, dest, what, log);
  if (d.resp.status < 200 || d.resp.status >= 300) fail(what, req, d.resp, "container and blob");
}

}  // namespace

void fetch_object_context(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest) {
  http::Client::Options ho;
  ho.tls.ca_file = opts.ca_file;
  ho.cancelled = opts.cancelled;
  // As for registries: SSL_CERT_DIR adds a hashed CA directory.
  if (opts.getenv) {
    std::error_code ec;
    if (auto d = opts.getenv("SSL_CERT_DIR"); d && !d->empty() && std::filesystem::is_directory(*d, ec))
      ho.tls.ca_dir = *d;
  }
  http::Client client(ho, *opts.log);
  switch (spec.kind) {
    case Kind::S3:
      return fetch_s3(spec, opts, dest, client);
    case Kind::Gcs:
      return fetch_gcs(spec, opts, dest, ho, client);
    case Kind::Azure:
      return fetch_azure(spec, opts, dest, client);
    default:
      throw Error("context '" + spec.location + "' is not an object-store context");
  }
}

}  // namespace kiln::context
