#include "context/object_source.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <exception>
#include <fstream>
#include <thread>

#include "base/error.h"
#include "context/tar_unpack.h"
#include "http/cancellable_wait.h"
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
  std::string url;   // of the last request, for messages
  int attempts = 1;  // how many requests the answer took
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
    } catch (const http::TransportError& e) {
      throw http::TransportError("context " + what + ": downloading " + where + ": " + e.what(), e.curl_code());
    } catch (const http::Cancelled&) {
      throw;
    } catch (const std::exception& e) {
      throw IoError("context " + what + ": downloading " + where + ": " + e.what());
    }
  }
  if (extract_error) std::rethrow_exception(extract_error);
  if (stats.entries == 0) throw UsageError("context " + what + ": the archive at " + where + " holds no entries");
  return d;
}

// Object stores fail now and then (a cut connection, 500, 503 SlowDown); the
// AWS and Google SDKs that kaniko downloads through retry those, and so does
// kiln: up to kAttempts tries, 1 s then 2 s apart. A 4xx, a TLS certificate
// that does not verify or a broken archive is final at once.
constexpr int kAttempts = 3;

bool worth_retrying(const http::TransportError& e) {
  switch (e.curl_code()) {
    case 1:   // CURLE_UNSUPPORTED_PROTOCOL
    case 3:   // CURLE_URL_MALFORMAT
    case 58:  // CURLE_SSL_CERTPROBLEM
    case 60:  // CURLE_PEER_FAILED_VERIFICATION
    case 77:  // CURLE_SSL_CACERT_BADFILE
      return false;
    default:
      return true;
  }
}

// One download with retries. `request` builds the request anew for each
// attempt (signatures carry the time). What a failed attempt unpacked is
// removed before the next, so no file of a cut archive survives into the
// context. Returns the last answer (2xx, or an error status the caller
// words); throws what the last attempt threw.
Download download(http::Client& client, const std::function<http::Request()>& request,
                  const std::filesystem::path& dest, const std::string& what, log::Logger& log,
                  const std::function<bool()>& cancelled) {
  auto delay = std::chrono::milliseconds(1000);
  for (int attempt = 1;; ++attempt) {
    http::Request req = request();
    log.info("Downloading context " + what + " from " + http::url_for_message(req.url));
    std::string reason;
    try {
      Download d = stream_into_dest(client, req, dest, what, log);
      d.url = req.url;
      const bool transient = d.answered && (d.resp.status >= 500 || d.resp.status == 429);
      if (!transient) return d;
      reason = objstore::describe_store_error(d.resp.status, d.resp.body);
      if (attempt == kAttempts) {
        d.attempts = attempt;
        return d;
      }
    } catch (const http::TransportError& e) {
      if (!worth_retrying(e)) throw;
      if (attempt == kAttempts)
        throw http::TransportError(std::string(e.what()) + " (after " + std::to_string(kAttempts) + " attempts)",
                                   e.curl_code());
      reason = e.what();
    }
    log.warn("context " + what + ": download failed, retrying in " + std::to_string(delay.count() / 1000) +
             " s (attempt " + std::to_string(attempt + 1) + " of " + std::to_string(kAttempts) + "): " + reason);
    std::error_code ec;
    std::filesystem::remove_all(dest, ec);
    if (ec) throw IoError("context " + what + ": removing the partly unpacked " + dest.string() + ": " + ec.message());
    http::wait_unless_cancelled(delay, cancelled, "context " + what);
    delay *= 2;
  }
}

// `must_hold` is what a 404 suggests checking: "the bucket and object exist".
[[noreturn]] void fail(const std::string& what, const Download& d, std::string_view must_hold) {
  const http::Response& r = d.resp;
  std::string hint;
  if (r.status == 401 || r.status == 403) hint = "; check the credentials";
  if (r.status == 404) hint = "; check that " + std::string(must_hold);
  if (d.attempts > 1) hint += " (after " + std::to_string(d.attempts) + " attempts)";
  throw IoError("context " + what + ": " + objstore::describe_store_error(r.status, r.body) + " from " +
                http::url_for_message(d.url) + hint);
}

void fetch_s3(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest, http::Client& client) {
  log::Logger& log = *opts.log;
  std::string what = "s3://" + spec.location;
  auto loc = objstore::parse_s3_location(spec.location);
  auto settings = objstore::s3_settings(opts.getenv);
  auto creds = objstore::aws_credentials(opts.getenv, settings.region, client, log);
  for (int redirect = 0;; ++redirect) {
    Download d = download(
        client,
        [&] {
          return objstore::s3_get(objstore::s3_target(loc, settings), settings.region, creds, std::time(nullptr));
        },
        dest, what, log, opts.cancelled);
    if (d.resp.status >= 200 && d.resp.status < 300) return;
    // A bucket in another region: S3 (and MinIO) say which in a header, and
    // the request must be signed (and on AWS, addressed) for that region.
    auto region = d.resp.header("x-amz-bucket-region");
    if (redirect == 0 && region && !region->empty() && *region != settings.region) {
      log.info("S3: bucket " + loc.bucket + " is in " + *region + ", retrying there");
      settings.region = *region;
      continue;
    }
    fail(what, d, "the bucket and object exist");
  }
}

void fetch_gcs(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest,
               const http::Client::Options& ho, http::Client& client) {
  log::Logger& log = *opts.log;
  std::string what = "gs://" + spec.location;
  auto loc = objstore::parse_gcs_location(spec.location);
  std::string url = objstore::gcs_media_url(loc, opts.getenv);
  auto token = objstore::gcp_access_token(opts.getenv, ho, log, std::time(nullptr));
  Download d = download(client, [&] { return objstore::gcs_get(url, token); }, dest, what, log, opts.cancelled);
  if (d.resp.status < 200 || d.resp.status >= 300) fail(what, d, "the bucket and object exist");
}

void fetch_azure(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest,
                 http::Client& client) {
  log::Logger& log = *opts.log;
  std::string what = http::url_for_message(spec.location);
  auto target = objstore::azure_target(spec.location, opts.getenv);
  if (target.key.empty()) log.info("Azure: no account key in the environment, the request goes out unsigned");
  Download d = download(client, [&] { return objstore::azure_get(target, std::time(nullptr)); }, dest, what, log,
                        opts.cancelled);
  if (d.resp.status < 200 || d.resp.status >= 300) fail(what, d, "the container and blob exist");
}

// A plain URL: an unauthenticated GET (credentials, if any, are in the URL's
// query, as a pre-signed link carries them; messages never show it).
void fetch_https(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest,
                 http::Client& client) {
  std::string what = http::url_for_message(spec.location);
  Download d = download(
      client,
      [&] {
        http::Request r;
        r.url = spec.location;
        return r;
      },
      dest, what, *opts.log, opts.cancelled);
  if (d.resp.status < 200 || d.resp.status >= 300) fail(what, d, "the URL names an existing file");
}

http::Client::Options client_options(const ResolveOptions& opts) {
  http::Client::Options ho;
  ho.tls.ca_file = opts.ca_file;
  ho.cancelled = opts.cancelled;
  // As for registries: SSL_CERT_DIR adds a hashed CA directory.
  if (opts.getenv) {
    std::error_code ec;
    if (auto d = opts.getenv("SSL_CERT_DIR"); d && !d->empty() && std::filesystem::is_directory(*d, ec))
      ho.tls.ca_dir = *d;
  }
  return ho;
}

}  // namespace

bool is_remote_dockerfile(std::string_view flag) {
  return flag.substr(0, 8) == "https://" || flag.substr(0, 7) == "http://";
}

void fetch_dockerfile(const std::string& url, const ResolveOptions& opts, const std::filesystem::path& dest) {
  constexpr std::size_t kMax = 1 << 20;
  const std::string where = http::url_for_message(url);
  http::Client client(client_options(opts), *opts.log);
  http::Request req;
  req.url = url;
  std::string body;
  http::Response resp;
  opts.log->info("Downloading Dockerfile " + where);
  try {
    resp = client.perform(req, [&](const char* p, std::size_t n) {
      if (body.size() + n > kMax) throw UsageError("Dockerfile " + where + " is larger than 1 MiB");
      body.append(p, n);
    });
  } catch (const http::TransportError& e) {
    throw http::TransportError("Dockerfile " + where + ": " + e.what(), e.curl_code());
  }
  if (resp.status < 200 || resp.status >= 300)
    throw IoError("Dockerfile " + where + ": the server answered HTTP " + std::to_string(resp.status));
  std::filesystem::create_directories(dest.parent_path());
  std::ofstream out(dest, std::ios::binary | std::ios::trunc);
  out << body;
  if (!out.flush()) throw IoError("Dockerfile " + where + ": writing " + dest.string() + " failed");
}

void fetch_object_context(const Spec& spec, const ResolveOptions& opts, const std::filesystem::path& dest) {
  http::Client::Options ho = client_options(opts);
  http::Client client(ho, *opts.log);
  switch (spec.kind) {
    case Kind::S3:
      return fetch_s3(spec, opts, dest, client);
    case Kind::Gcs:
      return fetch_gcs(spec, opts, dest, ho, client);
    case Kind::Azure:
      return fetch_azure(spec, opts, dest, client);
    case Kind::Https:
      return fetch_https(spec, opts, dest, client);
    default:
      throw Error("context '" + spec.location + "' is not an object-store context");
  }
}

}  // namespace kiln::context
