#pragma once
// HTTP(S) over libcurl for the registry code. Thread-safe: each perform()
// borrows an easy handle from a pool, so connections (and TLS sessions) are
// kept alive and reused across requests and threads.
//
// Proxies come from http_proxy/https_proxy/no_proxy in the environment;
// libcurl reads them itself and this class never sets CURLOPT_PROXY.
// Redirects are followed here rather than inside libcurl so the rule is
// explicit: an Authorization header is dropped as soon as a redirect leaves
// the origin (scheme, host, port) of the original request.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "http/message.h"
#include "http/tls_config.h"
#include "log/log.h"

namespace kiln::http {

// A request stopped because Options::cancelled said so. Not a
// TransportError: nothing retries it.
class Cancelled : public Error {
 public:
  using Error::Error;
};

class Client {
 public:
  struct Options {
    TlsConfig tls;                            // default for every host
    std::map<std::string, TlsConfig> per_host;  // key "host" or "host:port"
    long connect_timeout_s = 30;
    long low_speed_time_s = 60;  // abort when under 1 byte/s for this long
    std::string user_agent = "kiln";
    int max_redirects = 10;
    // Asked before each request and about once a second during it (also
    // while no byte moves); true stops the request with Cancelled. The
    // executor's SIGTERM/SIGINT watcher, so a cancelled CI job does not
    // wait for a multi-gigabyte push or pull to end.
    std::function<bool()> cancelled;
  };

  Client(Options opts, log::Logger& log);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Throws TransportError when no HTTP response arrives, kiln::Error for an
  // unusable request, and whatever the sink throws. Any HTTP status,
  // including 4xx/5xx, is returned, not thrown.
  Response perform(const Request& req, const Sink& sink = {});

  // What the client was made with (helpers that need a client of their own
  // with other timeouts start from these).
  const Options& options() const { return opts_; }

  // The TLS settings used for a URL (exposed for tests and diagnostics).
  const TlsConfig& tls_for(const std::string& url) const;

 private:
  struct Handle;
  std::unique_ptr<Handle> acquire();
  void release(std::unique_ptr<Handle> h);
  Response perform_once(Handle& h, const Request& req, const Sink& sink);

  Options opts_;
  log::Logger& log_;
  bool mbedtls_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

}  // namespace kiln::http
