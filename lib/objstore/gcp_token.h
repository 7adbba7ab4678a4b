#pragma once
// An OAuth access token for Google Cloud (Storage, and the registries of the
// "google" credential helper), found the way Google's client libraries find one:
//   1. GOOGLE_APPLICATION_CREDENTIALS names a service-account JSON key: a JWT
//      signed with its key (RS256) is exchanged at the key's token_uri; or an
//      "external_account" file (workload identity federation, see
//      gcp_external_account.h)
//   2. the metadata server of the VM or pod (metadata.google.internal, or
//      GCE_METADATA_HOST as "host:port")
//   3. none: anonymous requests (public objects)
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"
#include "log/log.h"
#include "objstore/env.h"

namespace kiln::objstore {

inline constexpr std::string_view kGcsReadScope = "https://www.googleapis.com/auth/devstorage.read_only";
inline constexpr std::string_view kCloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

struct OAuthToken {
  std::string access_token;
  long expires_in = 3600;  // seconds, as the endpoint said (an hour when it did not)
};

// The form body of the JWT-bearer grant (RFC 7523).
std::string jwt_bearer_body(std::string_view assertion);
// access_token from a token endpoint's JSON; throws kiln::IoError naming
// `source` (and quoting "error"/"error_description") when there is none.
std::string parse_token_response(std::string_view json, std::string_view source);
// The same with its lifetime.
OAuthToken parse_oauth_token(std::string_view json, std::string_view source);
std::string metadata_token_url(const GetEnv& env);

// Throws kiln::UsageError for an unreadable or invalid key file and
// kiln::IoError when the token endpoint refuses; nullopt when there are no
// credentials at all.
std::optional<OAuthToken> gcp_token(const GetEnv& env, const http::Client::Options& http_options, log::Logger& log,
                                    std::time_t now, std::string_view scope);
// gcp_token for reading Cloud Storage.
std::optional<std::string> gcp_access_token(const GetEnv& env, const http::Client::Options& http_options,
                                            log::Logger& log, std::time_t now);

}  // namespace kiln::objstore
