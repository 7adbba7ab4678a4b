#pragma once
// The "ecr" helper: Amazon ECR registries (<account>.dkr.ecr.<region>.
// amazonaws.com, FIPS "dkr-ecr-fips"/"dkr.ecr-fips" names, the China
// partition's amazonaws.com.cn and the isolated partitions) get a password
// from ECR's GetAuthorizationToken, signed with SigV4 using the AWS
// credential chain (objstore/aws_credentials.h: keys, web identity, the
// container endpoint, IMDSv2). The user is "AWS"; the token lasts 12 hours.
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cloudcreds/token_cache.h"
#include "http/client.h"
#include "objstore/env.h"
#include "objstore/sigv4.h"
#include "registry/credential_source.h"

namespace kiln::cloudcreds {

struct EcrRegistry {
  std::string account, region;
  bool fips = false;
  std::string domain;  // "amazonaws.com", "amazonaws.com.cn", …
};

// nullopt for any other host (the port is ignored).
std::optional<EcrRegistry> parse_ecr_host(std::string_view registry);
// AWS_ENDPOINT_URL_ECR, else AWS_ENDPOINT_URL, else the region's API endpoint.
std::string ecr_api_endpoint(const EcrRegistry& r, const objstore::GetEnv& env);
// The signed GetAuthorizationToken call for the registry's account (pure).
http::Request get_authorization_token_request(const std::string& endpoint, const EcrRegistry& r,
                                              const objstore::AwsCredentials& creds, std::time_t now);
// "AWS" and the password from the answer, expiring at expiresAt. Throws
// kiln::IoError naming `source` (ECR's error type and message, never a token).
registry::Credential parse_authorization_token(std::string_view json, std::string_view source);

class EcrSource : public registry::CredentialSource {
 public:
  explicit EcrSource(objstore::GetEnv env) : env_(std::move(env)) {}
  const char* name() const override { return "ecr"; }
  std::optional<registry::Credential> get(const std::string& host, const registry::SourceContext* ctx) override;

 private:
  objstore::GetEnv env_;
  TokenCache cache_;
};

}  // namespace kiln::cloudcreds
