// Registry client core: endpoints (scheme and auth challenge per registry),
// authorised requests, error messages, retry policy and pull candidates.
#include "registry/client.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "http/transport_error.h"
#include "http/url.h"
#include "registry/status_error.h"

namespace kiln::registry {
namespace {

http::Client::Options http_options(const Options& o, bool pull) {
  http::Client::Options h;
  h.connect_timeout_s = o.connect_timeout_s;
  h.user_agent = o.user_agent;
  h.cancelled = o.cancelled;
  // The default bundle path exists inside kaniko's image; elsewhere fall
  // back to libcurl's own default rather than failing every request.
  std::error_code ec;
  if (!o.ca_file.empty() && std::filesystem::exists(o.ca_file, ec)) h.tls.ca_file = o.ca_file;
  h.tls.ca_dir = o.ca_dir;
  bool skip_all = o.skip_verify_all || (pull && o.skip_verify_pull);
  h.tls.verify = !skip_all;
  auto entry = [&](const std::string& reg) -> http::TlsConfig& {
    auto it = h.per_host.find(reg);
    if (it == h.per_host.end()) it = h.per_host.emplace(reg, h.tls).first;
    return it->second;
  };
  for (const auto& reg : o.skip_verify_registries) entry(reg).verify = false;
  for (const auto& [reg, path] : o.registry_ca) entry(reg).ca_file = path;
  for (const auto& [reg, cert] : o.registry_client_cert) {
    entry(reg).client_cert = cert.first;
    entry(reg).client_key = cert.second;
  }
  return h;
}

bool is_local_host(const std::string& registry) {
  std::string host = registry;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto c = host.rfind(':'); c != std::string::npos) {
    host = host.substr(0, c);
  }
  if (host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0) return true;
  // Private networks (RFC 1918), where kaniko (go-containerregistry) also
  // falls back to plain HTTP.
  if (host.rfind("10.", 0) == 0 || host.rfind("192.168.", 0) == 0) return true;
  if (host.rfind("172.", 0) == 0) {
    int second = std::atoi(host.c_str() + 4);
    return second >= 16 && second <= 31 && http::is_ip_literal(host);
  }
  return false;
}

std::string registry_errors(const std::string& body) {
  try {
    auto j = nlohmann::json::parse(body);
    std::string out;
    for (const auto& e : j.at("errors")) {
      std::string one = e.value("code", "");
      std::string msg = e.value("message", "");
      if (!msg.empty()) one += (one.empty() ? "" : ": ") + msg;
      if (!one.empty()) out += (out.empty() ? "" : "; ") + one;
    }
    return out;
  } catch (const nlohmann::json::exception&) {
    return "";
  }
}

}  // namespace

Client::Client(Options opts, Keychain keychain, log::Logger& log)
    : opts_(std::move(opts)), keychain_(std::move(keychain)), log_(log) {
  pull_http_ = std::make_unique<http::Client>(http_options(opts_, true), log_);
  push_http_ = std::make_unique<http::Client>(http_options(opts_, false), log_);
  // Cloud token services (STS, ECR's API, Google, Entra ID) are verified
  // against the CA bundle whatever the registry TLS flags say.
  http::Client::Options cloud = http_options(opts_, false);
  cloud.tls.verify = true;
  cloud.per_host.clear();
  cloud_http_ = std::make_unique<http::Client>(cloud, log_);
  pull_auth_ = std::make_unique<Authenticator>(*pull_http_, keychain_, log_, cloud_http_.get());
  push_auth_ = std::make_unique<Authenticator>(*push_http_, keychain_, log_, cloud_http_.get());
}

Client::~Client() = default;

RetryPolicy Client::policy(Mode mode) const {
  RetryPolicy p;
  p.retries = mode == Mode::Pull ? opts_.pull_retry : opts_.push_retry;
  p.initial_delay = opts_.retry_initial_delay;
  p.max_delay = opts_.retry_max_delay;
  p.cancelled = opts_.cancelled;
  return p;
}

bool Client::may_use_http(const std::string& registry, Mode mode) const {
  return opts_.insecure_all || opts_.insecure_registries.count(registry) ||
         (mode == Mode::Pull && opts_.insecure_pull) || is_local_host(registry);
}

Client::Endpoint Client::endpoint(const std::string& registry, Mode mode) {
  std::string key = (mode == Mode::Pull ? "pull " : "push ") + registry;
  {
    std::lock_guard lk(mu_);
    if (auto it = endpoints_.find(key); it != endpoints_.end()) return it->second;
  }
  // Like docker and go-containerregistry: HTTPS first; plain HTTP only for
  // registries marked insecure (or local ones) and only when HTTPS gets no
  // answer at all.
  std::vector<std::string> schemes{"https"};
  if (may_use_http(registry, mode)) schemes.push_back("http");
  std::string failures;
  for (const auto& scheme : schemes) {
    Endpoint ep;
    ep.base = scheme + "://" + registry;
    http::Request ping;
    ping.url = ep.base + "/v2/";
    http::Response resp;
    try {
      resp = http_for(mode).perform(ping);
    } catch (const http::TransportError& e) {
      failures += (failures.empty() ? "" : "; ") + std::string(e.what());
      continue;
    }
    if (scheme == "http" && resp.status != 200 && resp.status != 401) {
      // An HTTPS server answering a plain request ("400 Client sent an HTTP
      // request to an HTTPS server"): the HTTPS failure is the real story.
      failures += "; plain HTTP answered " + status_text(resp.status);
      continue;
    }
    if (resp.status == 401) {
      auto all = parse_www_authenticate(resp.header("www-authenticate").value_or(""));
      for (const auto& c : all)
        if (c.scheme == "bearer" || (c.scheme == "basic" && ep.challenge.scheme.empty())) ep.challenge = c;
      if (ep.challenge.scheme.empty())
        throw IoError("connecting to " + registry + ": 401 Unauthorized without a Basic or Bearer challenge");
    } else if (resp.status >= 500) {
      throw StatusError("connecting to " + registry + ": " + status_text(resp.status), resp.status);
    }
    log_.debug("registry " + registry + " at " + ep.base + (ep.challenge.scheme.empty() ? "" : ", auth " + ep.challenge.scheme));
    std::lock_guard lk(mu_);
    endpoints_[key] = ep;
    return ep;
  }
  throw http::TransportError("connecting to " + registry + ": " + failures, 0);
}

http::Response Client::send(const std::string& registry, Mode mode, http::Request req,
                            const std::vector<std::string>& scopes, const http::Sink& sink) {
  Endpoint ep = endpoint(registry, mode);
  Authenticator& auth = mode == Mode::Pull ? *pull_auth_ : *push_auth_;
  if (!req.url.empty() && req.url[0] == '/') req.url = ep.base + req.url;
  // Upload locations may point elsewhere (storage); credentials stay home.
  bool own_origin = req.url.rfind(ep.base + "/", 0) == 0;
  auto attempt = [&](const Challenge& ch) {
    http::Request r = req;
    if (own_origin && !ch.scheme.empty()) {
      std::string h = auth.authorization(registry, ch, scopes);
      if (!h.empty()) r.headers.push_back(h);
    }
    return http_for(mode).perform(r, sink);
  };
  http::Response resp = attempt(ep.challenge);
  if (resp.status != 401 || req.reader || !own_origin) return resp;
  // A token can be refused because it expired early or lacks a scope the
  // registry wants (it names it in the new challenge): get a fresh one once.
  // A registry that lets anyone ping /v2/ may still want credentials for a
  // repository: adopt the challenge it gives now.
  Challenge fresh;
  for (const auto& c : parse_www_authenticate(resp.header("www-authenticate").value_or("")))
    if (c.scheme == "bearer" || (c.scheme == "basic" && fresh.scheme.empty())) fresh = c;
  bool renew = fresh.scheme == "bearer" || (fresh.scheme == "basic" && ep.challenge.scheme.empty());
  if (!renew) return resp;
  auth.forget(registry, scopes);
  if (ep.challenge.scheme != fresh.scheme) {
    std::lock_guard lk(mu_);
    endpoints_[(mode == Mode::Pull ? "pull " : "push ") + registry].challenge = fresh;
  }
  return attempt(fresh);
}

void Client::fail(const std::string& what, const std::string& registry, const http::Response& resp) {
  std::string msg = what + ": " + status_text(resp.status);
  std::string errs = registry_errors(resp.body);
  if (!errs.empty()) msg += ": " + errs;
  if (resp.status == 401 || resp.status == 403) {
    bool have = pull_auth_->credential(registry).has_value();
    msg += have ? ": check the credentials for " + registry + " in " + keychain_.origin()
                : ": no credentials for " + registry + " in " + keychain_.origin();
  }
  long retry_after = -1;
  if (auto ra = resp.header("retry-after")) {
    try {
      retry_after = std::stol(*ra);
    } catch (const std::exception&) {
      retry_after = -1;  // an HTTP date: use our own backoff
    }
  }
  throw StatusError(msg, resp.status, retry_after);
}

std::vector<Reference> Client::pull_candidates(const Reference& ref) const {
  std::vector<std::string> subs;
  for (const auto& [reg, targets] : opts_.registry_map)
    if (normalise_registry_key(reg) == ref.registry) subs.insert(subs.end(), targets.begin(), targets.end());
  if (ref.is_docker_hub()) subs.insert(subs.end(), opts_.mirrors.begin(), opts_.mirrors.end());
  std::vector<Reference> out;
  for (std::string s : subs) {
    if (auto sep = s.find("://"); sep != std::string::npos) s = s.substr(sep + 3);
    while (!s.empty() && s.back() == '/') s.pop_back();
    if (s.empty()) continue;
    Reference r = ref;
    auto slash = s.find('/');
    r.registry = normalise_registry_key(s.substr(0, slash));
    if (slash != std::string::npos) r.repository = s.substr(slash + 1) + "/" + ref.repository;
    out.push_back(r);
  }
  if (out.empty() || !opts_.skip_default_registry_fallback) out.push_back(ref);
  return out;
}

}  // namespace kiln::registry
