#pragma once
// Azure Storage "Shared Key" authorization (Blob service, version 2009-09-19
// and later) as a pure function of the request and the account key.
#include <ctime>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::objstore {

struct AzureRequest {
  std::string method = "GET";
  std::string account;  // the storage account the key belongs to
  std::string path;     // the URL path as sent, percent-encoded: "/container/blob"
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // every header sent
};

std::string azure_string_to_sign(const AzureRequest& req);
// Throws kiln::UsageError when the key is not base64 (it never appears in the message).
std::string azure_signature(std::string_view string_to_sign, std::string_view account_key_base64);
// The Authorization header's value: "SharedKey account:signature".
std::string azure_authorization(const AzureRequest& req, std::string_view account_key_base64);

// "Sun, 06 Nov 1994 08:49:37 GMT" (x-ms-date).
std::string rfc1123_date(std::time_t t);

}  // namespace kiln::objstore
