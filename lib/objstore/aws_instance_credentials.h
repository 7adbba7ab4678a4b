#pragma once
// The two AWS credential sources that are HTTP endpoints next to the workload:
//   - the container credentials endpoint (ECS task roles, EKS Pod Identity):
//     AWS_CONTAINER_CREDENTIALS_FULL_URI (or _RELATIVE_URI under
//     http://169.254.170.2), with the header Authorization taken from
//     AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN;
//   - IMDSv2, an EC2 instance role: a session token from PUT /latest/api/token,
//     then the role's credentials (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides
//     http://169.254.169.254; AWS_EC2_METADATA_DISABLED=true skips it).
#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"
#include "log/log.h"
#include "objstore/env.h"
#include "objstore/sigv4.h"

namespace kiln::objstore {

// {"AccessKeyId":…,"SecretAccessKey":…,"Token":…} (both endpoints answer
// this shape). Throws kiln::IoError naming `source` when a key is missing.
AwsCredentials parse_endpoint_credentials(std::string_view json, std::string_view source);

// The container endpoint's URL, "" when neither variable is set.
std::string container_credentials_url(const GetEnv& env);

// nullopt when the variables are not set. Throws kiln::IoError when the
// endpoint is configured but refuses or fails.
std::optional<AwsCredentials> container_credentials(const GetEnv& env, http::Client& client, log::Logger& log);

// nullopt when IMDS is disabled, does not answer within a second (not on
// EC2) or has no role attached. Throws kiln::IoError when it answers with
// an error for the role's credentials.
std::optional<AwsCredentials> imds_credentials(const GetEnv& env, const http::Client::Options& base,
                                               log::Logger& log);

}  // namespace kiln::objstore
