#include "objstore/azure_request.h"

#include "base/error.h"
#include "base/text.h"
#include "http/url.h"
#include "objstore/azure_shared_key.h"
#include "objstore/encoding.h"

namespace kiln::objstore {
namespace {

// The storage REST API version kiln speaks (supported by azurite 3.x).
constexpr const char* kApiVersion = "2021-08-06";
// Azurite's documented well-known development account.
constexpr const char* kDevAccount = "devstoreaccount1";
constexpr const char* kDevKey =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

std::vector<std::pair<std::string, std::string>> split_query(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    auto eq = part.find('=');
    if (!part.empty())
      out.emplace_back(uri_decode(part.substr(0, eq)),
                       eq == std::string_view::npos ? "" : uri_decode(part.substr(eq + 1)));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> parse_connection_string(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    auto semi = text.find(';');
    auto part = text.substr(0, semi);
    auto eq = part.find('=');
    if (eq != std::string_view::npos) out[ascii_lower(trim(part.substr(0, eq), " \t"))] = trim(part.substr(eq + 1), " \t");
    if (semi == std::string_view::npos) break;
    text.remove_prefix(semi + 1);
  }
  return out;
}

AzureTarget azure_target(std::string_view context_url, const GetEnv& env) {
  http::UrlParts u = http::parse_url(context_url);
  std::string path = u.path_and_query;
  std::string query;
  if (auto q = path.find('?'); q != std::string::npos) {
    query = path.substr(q + 1);
    path.resize(q);
  }
  // "/container/blob...": both parts are required.
  auto second = path.find('/', 1);
  if (path.size() < 2 || second == std::string::npos || second + 1 >= path.size())
    throw UsageError("context " + http::url_for_message(context_url) +
                     ": expected https://<account>.blob.core.windows.net/<container>/<path>.tar.gz");

  AzureTarget t;
  t.query = query;
  t.account = u.host.substr(0, u.host.find('.'));
  if (auto a = env_or_empty(env, "AZURE_STORAGE_ACCOUNT"); !a.empty()) t.account = a;
  t.key = env_or_empty(env, "AZURE_STORAGE_ACCESS_KEY");
  if (t.key.empty()) t.key = env_or_empty(env, "AZURE_STORAGE_KEY");
  std::string base = u.scheme + "://" + http::host_port(u);

  auto cs = parse_connection_string(env_or_empty(env, "AZURE_STORAGE_CONNECTION_STRING"));
  if (ascii_lower(cs["usedevelopmentstorage"]) == "true") {
    t.account = kDevAccount;
    t.key = kDevKey;
    base = std::string("http://127.0.0.1:10000/") + kDevAccount;
  }
  if (!cs["accountname"].empty()) t.account = cs["accountname"];
  if (!cs["accountkey"].empty()) t.key = cs["accountkey"];
  if (!cs["blobendpoint"].empty()) base = cs["blobendpoint"];
  while (!base.empty() && base.back() == '/') base.pop_back();

  http::UrlParts b = http::parse_url(base);
  std::string prefix = b.path_and_query.substr(0, b.path_and_query.find('?'));
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  t.path = prefix + path;
  t.url = b.scheme + "://" + http::host_port(b) + t.path + (query.empty() ? "" : "?" + query);
  return t;
}

http::Request azure_get(const AzureTarget& t, std::time_t now) {
  http::Request req;
  req.url = t.url;
  std::string date = rfc1123_date(now);
  req.headers = {"x-ms-date: " + date, std::string("x-ms-version: ") + kApiVersion};
  if (t.key.empty()) return req;
  AzureRequest ar;
  ar.method = "GET";
  ar.account = t.account;
  ar.path = t.path;
  ar.query = split_query(t.query);
  ar.headers = {{"x-ms-date", date}, {"x-ms-version", kApiVersion}};
  req.headers.push_back("Authorization: " + azure_authorization(ar, t.key));
  req.follow_redirects = false;  // signed for this host only
  return req;
}

}  // namespace kiln::objstore
