#include "objstore/azure_shared_key.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "base/error.h"
#include "base/text.h"
#include "objstore/encoding.h"

namespace kiln::objstore {
namespace {

std::string header(const AzureRequest& req, std::string_view lower_name) {
  for (const auto& [n, v] : req.headers)
    if (ascii_lower(n) == lower_name) return std::string(trim(v, " \t"));
  return "";
}

}  // namespace

std::string azure_string_to_sign(const AzureRequest& req) {
  std::string content_length = header(req, "content-length");
  // Since version 2015-02-21 a zero length is signed as an empty string.
  if (content_length == "0") content_length.clear();
  std::string out = req.method + "\n";
  for (std::string_view h : {"content-encoding", "content-language"}) out += header(req, h) + "\n";
  out += content_length + "\n";
  for (std::string_view h : {"content-md5", "content-type", "date", "if-modified-since", "if-match", "if-none-match",
                             "if-unmodified-since", "range"})
    out += header(req, h) + "\n";

  std::map<std::string, std::string> ms;
  for (const auto& [n, v] : req.headers) {
    std::string name = ascii_lower(trim(n, " \t"));
    if (name.rfind("x-ms-", 0) == 0) ms[name] = trim(v, " \t");
  }
  for (const auto& [n, v] : ms) out += n + ":" + v + "\n";

  out += "/" + req.account + req.path;
  std::map<std::string, std::vector<std::string>> q;
  for (const auto& [n, v] : req.query) q[ascii_lower(n)].push_back(v);
  for (auto& [n, values] : q) {
    std::sort(values.begin(), values.end());
    out += "\n" + n + ":";
    for (std::size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + values[i];
  }
  return out;
}

std::string azure_signature(std::string_view string_to_sign, std::string_view account_key_base64) {
  auto key = base64_decode(account_key_base64);
  if (!key || key->empty()) throw UsageError("the Azure storage account key is not valid base64");
  return base64_encode(hmac_sha256(*key, string_to_sign));
}

std::string azure_authorization(const AzureRequest& req, std::string_view account_key_base64) {
  return "SharedKey " + req.account + ":" + azure_signature(azure_string_to_sign(req), account_key_base64);
}

std::string rfc1123_date(std::time_t t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace kiln::objstore
