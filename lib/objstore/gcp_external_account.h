#pragma once
// Workload identity federation: a GOOGLE_APPLICATION_CREDENTIALS file of
// type "external_account" (GKE outside Google, GitHub/GitLab OIDC, AWS or
// Azure identities mapped by a workload identity pool). A subject token,
// read from a file or fetched from a URL, is exchanged at Google's STS
// (RFC 8693 token exchange) for an access token; with
// service_account_impersonation_url that token then asks IAM Credentials for
// a service account's token.
#include <string>
#include <string_view>
#include <vector>

#include "http/client.h"
#include "log/log.h"
#include "objstore/gcp_token.h"

namespace kiln::objstore {

struct ExternalAccount {
  std::string audience;
  std::string subject_token_type;
  std::string token_url;
  std::string impersonation_url;  // "" without impersonation
  std::string source_file;        // credential_source.file, or
  std::string source_url;         // credential_source.url (+ headers)
  std::vector<std::string> source_headers;  // "Name: value"
  std::string format_type = "text";         // credential_source.format.type: text or json
  std::string subject_token_field;          // format.subject_token_field_name (json)
};

bool is_external_account(std::string_view json);
// Throws kiln::UsageError naming `source` for a file kiln cannot use (an
// executable- or AWS-sourced subject token, a missing field).
ExternalAccount parse_external_account(std::string_view json, std::string_view source);
// The subject token in what the file or URL returned.
std::string subject_token(std::string_view raw, const ExternalAccount& a);
// The STS token-exchange form (pure).
std::string sts_exchange_body(const ExternalAccount& a, std::string_view subject, std::string_view scope);
// The IAM Credentials generateAccessToken body.
std::string impersonation_body(std::string_view scope);

// Throws kiln::IoError naming the endpoint that refused (never the tokens).
OAuthToken external_account_token(const ExternalAccount& a, std::string_view scope, http::Client& client,
                                  log::Logger& log);

}  // namespace kiln::objstore
