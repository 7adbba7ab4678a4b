#pragma once
// Where an Azure blob lives and the GET for it (pure). The context is
// https://<account>.blob.core.windows.net/<container>/<path>.tar.gz; the
// environment adds, as the Azure CLI and SDKs read it:
//   AZURE_STORAGE_ACCESS_KEY (kaniko's name), else AZURE_STORAGE_KEY: the
//     account key; requests are signed with Shared Key. Without one the GET is
//     anonymous (a public container, or a SAS token in the URL's query).
//   AZURE_STORAGE_ACCOUNT: the account name, when it is not the URL's.
//   AZURE_STORAGE_CONNECTION_STRING: AccountName, AccountKey and BlobEndpoint
//     (or UseDevelopmentStorage=true) override the above. A BlobEndpoint
//     replaces the URL's scheme and host: the container and blob path are
//     requested below it, e.g. http://127.0.0.1:10000/devstoreaccount1 for
//     the azurite emulator.
#include <ctime>
#include <map>
#include <string>
#include <string_view>

#include "http/message.h"
#include "objstore/env.h"

namespace kiln::objstore {

// Keys lower-cased; "a=b;c=d" with '=' allowed in values (keys are base64).
std::map<std::string, std::string> parse_connection_string(std::string_view text);

struct AzureTarget {
  std::string url;      // what is requested
  std::string account;  // for the signature
  std::string path;     // the encoded path as sent (signed)
  std::string query;    // as written in the context URL, without '?'
  std::string key;      // base64 account key; empty: anonymous
};

// Throws kiln::UsageError naming the URL when it has no container and blob.
AzureTarget azure_target(std::string_view context_url, const GetEnv& env);

http::Request azure_get(const AzureTarget& t, std::time_t now);

}  // namespace kiln::objstore
