#include "http/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <exception>

#include "base/error.h"
#include "base/text.h"
#include "http/ip_san.h"
#include "http/transport_error.h"
#include "http/url.h"

namespace kiln::http {

struct Client::Handle {
  CURL* curl = nullptr;
  IpSanCheck ip_check;  // address must stay stable: mbedTLS keeps a pointer
  ~Handle() {
    if (curl) curl_easy_cleanup(curl);
  }
};

namespace {

// Error bodies are kept for messages only; a misbehaving server must not make
// us buffer gigabytes.
constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr std::size_t kMaxIdleHandles = 16;

std::once_flag g_curl_init_once;

struct Transfer {
  CURL* curl;
  const Sink* sink;
  Response* resp;
  std::exception_ptr error;
  long status = -1;  // looked up on the first body byte
  // Upload state.
  const std::function<std::size_t(char*, std::size_t)>* reader = nullptr;
  std::string_view body;
  std::size_t body_off = 0;
};

// What HTTP allows around a header name and value (and the line end).
constexpr std::string_view kHeaderSpace = " \t\r\n";

size_t on_header(char* data, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  std::string_view line(data, size * n);
  // A status line starts a new header block (interim 100, proxy CONNECT):
  // only the final block describes the response.
  if (line.substr(0, 5) == "HTTP/") {
    t->resp->headers.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos)
    t->resp->headers.emplace_back(ascii_lower(trim(line.substr(0, colon), kHeaderSpace)),
                                     trim(line.substr(colon + 1), kHeaderSpace));
  return size * n;
}

size_t on_body(char* data, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  size_t len = size * n;
  if (t->status < 0) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
  bool ok = t->status >= 200 && t->status < 300;
  if (ok && t->sink && *t->sink) {
    try {
      (*t->sink)(data, len);
    } catch (...) {
      t->error = std::current_exception();
      return 0;  // makes curl abort with CURLE_WRITE_ERROR
    }
    return len;
  }
  if (t->sink && *t->sink) {
    std::size_t room = kMaxErrorBody > t->resp->body.size() ? kMaxErrorBody - t->resp->body.size() : 0;
    t->resp->body.append(data, std::min(room, len));
  } else {
    t->resp->body.append(data, len);
  }
  return len;
}

size_t on_read(char* buf, size_t size, size_t n, void* ud) {
  auto* t = static_cast<Transfer*>(ud);
  size_t cap = size * n;
  if (t->reader) {
    try {
      return (*t->reader)(buf, cap);
    } catch (...) {
      t->error = std::current_exception();
      return CURL_READFUNC_ABORT;
    }
  }
  size_t k = std::min(cap, t->body.size() - t->body_off);
  std::memcpy(buf, t->body.data() + t->body_off, k);
  t->body_off += k;
  return k;
}

int on_progress(void* ud, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancelled = static_cast<const std::function<bool()>*>(ud);
  return (*cancelled)() ? 1 : 0;  // non-zero: CURLE_ABORTED_BY_CALLBACK
}

bool same_origin(const UrlParts& a, const UrlParts& b) {
  return a.scheme == b.scheme && a.host == b.host && effective_port(a) == effective_port(b);
}

bool is_authorization(const std::string& h) {
  return h.size() >= 14 && ascii_lower(h.substr(0, 14)) == "authorization:";
}

}  // namespace

Client::Client(Options opts, log::Logger& log) : opts_(std::move(opts)), log_(log) {
  std::call_once(g_curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  mbedtls_ = curl_uses_mbedtls();
}

Client::~Client() = default;

const TlsConfig& Client::tls_for(const std::string& url) const {
  auto u = parse_url(url);
  if (auto it = opts_.per_host.find(host_port(u)); it != opts_.per_host.end()) return it->second;
  std::string bare = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  if (auto it = opts_.per_host.find(bare); it != opts_.per_host.end()) return it->second;
  return opts_.tls;
}

std::unique_ptr<Client::Handle> Client::acquire() {
  {
    std::lock_guard lk(mu_);
    if (!idle_.empty()) {
      auto h = std::move(idle_.back());
      idle_.pop_back();
      return h;
    }
  }
  auto h = std::make_unique<Handle>();
  h->curl = curl_easy_init();
  if (!h->curl) throw IoError("cannot initialise libcurl");
  return h;
}

void Client::release(std::unique_ptr<Handle> h) {
  std::lock_guard lk(mu_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(h));
}

Response Client::perform(const Request& original, const Sink& sink) {
  Request req = original;
  const UrlParts origin = parse_url(original.url);
  bool auth_dropped = false;
  for (int hop = 0;; ++hop) {
    auto h = acquire();
    Response resp = perform_once(*h, req, sink);
    release(std::move(h));
    bool redirect = resp.status == 301 || resp.status == 302 || resp.status == 303 || resp.status == 307 ||
                    resp.status == 308;
    auto location = resp.header("location");
    if (!req.follow_redirects || !redirect || !location) return resp;
    if (hop >= opts_.max_redirects)
      throw IoError(req.method + " " + url_for_message(original.url) + ": too many redirects");
    if (req.reader)
      throw IoError(req.method + " " + url_for_message(original.url) +
                    ": the server redirected a streamed upload, which cannot be replayed");
    std::string next = resolve_location(req.url, *location);
    log_.debug("following redirect " + std::to_string(resp.status) + " to " + url_for_message(next));
    if (resp.status == 303 && req.method != "HEAD") {
      req.method = "GET";
      req.body.clear();
    }
    if (!auth_dropped && !same_origin(origin, parse_url(next))) {
      // Credentials were meant for the registry, not for the storage backend
      // it hands us to (signed S3/GCS URLs reject extra auth anyway).
      std::erase_if(req.headers, is_authorization);
      auth_dropped = true;
    }
    req.url = std::move(next);
  }
}

Response Client::perform_once(Handle& h, const Request& req, const Sink& sink) {
  CURL* c = h.curl;
  if (opts_.cancelled && opts_.cancelled())
    throw Cancelled(req.method + " " + url_for_message(req.url) + ": not started, the build was interrupted");
  curl_easy_reset(c);  // keeps live connections and the TLS session cache
  Response resp;
  Transfer t{};
  t.curl = c;
  t.sink = &sink;
  t.resp = &resp;
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(c, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(c, CURLOPT_USERAGENT, opts_.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, opts_.connect_timeout_s);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, opts_.low_speed_time_s);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
  if (opts_.cancelled) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &opts_.cancelled);
  }
  // No Accept-Encoding and no decoding: a storage backend that labels a
  // gzip layer "Content-Encoding: gzip" must hand over the stored bytes, or
  // their digest would not match.
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");

  bool has_body = static_cast<bool>(req.reader) || !req.body.empty();
  if (req.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (req.method == "GET" && !has_body) {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else if (has_body) {
    t.reader = req.reader ? &req.reader : nullptr;
    t.body = req.body;
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_off_t size = req.reader ? req.reader_size : static_cast<curl_off_t>(req.body.size());
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, size);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.method != "DELETE") {
      // An empty POST/PUT/PATCH still says Content-Length: 0, which
      // registries require.
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
  }

  curl_slist* headers = nullptr;
  for (const auto& hd : req.headers) headers = curl_slist_append(headers, hd.c_str());
  // No "Expect: 100-continue" round trip; registries answer uploads directly.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

  auto url = parse_url(req.url);
  const TlsConfig& tls = tls_for(req.url);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, tls.verify ? 1L : 0L);
  curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, tls.verify ? 2L : 0L);
  if (!tls.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.ca_dir.empty()) curl_easy_setopt(c, CURLOPT_CAPATH, tls.ca_dir.c_str());
  if (!tls.client_cert.empty()) curl_easy_setopt(c, CURLOPT_SSLCERT, tls.client_cert.c_str());
  if (!tls.client_key.empty()) curl_easy_setopt(c, CURLOPT_SSLKEY, tls.client_key.c_str());
  h.ip_check = IpSanCheck{is_ip_literal(url.host) ? url.host : std::string()};
  if (mbedtls_ && url.scheme == "https" && tls.verify && !h.ip_check.ip.empty()) {
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, &install_ip_san_check);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &h.ip_check);
  }

  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(headers);
  if (t.error) std::rethrow_exception(t.error);
  if (rc == CURLE_ABORTED_BY_CALLBACK && opts_.cancelled && opts_.cancelled())
    throw Cancelled(req.method + " " + url_for_message(req.url) + ": stopped, the build was interrupted");
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc);
    // mbedTLS words this as "Cert verify failed: BADCERT_NOT_TRUSTED"; say
    // what it means and what the user can do about it.
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
      detail = "TLS certificate verification failed (" + detail +
               "); trust its CA (append it to /kaniko/ssl/certs/ca-certificates.crt or use "
               "--registry-certificate) or skip verification (--skip-tls-verify-registry)";
    throw TransportError(req.method + " " + url_for_message(req.url) + ": " + detail, static_cast<int>(rc));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  char* eff = nullptr;
  curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff);
  resp.effective_url = eff ? eff : req.url;
  log_.trace(req.method + " " + url_for_message(req.url) + " -> " + std::to_string(resp.status));
  return resp;
}

}  // namespace kiln::http
