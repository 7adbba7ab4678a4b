#pragma once
// Where S3 requests get their credentials, in the AWS SDKs' order:
//   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
//   2. web identity (EKS IRSA): AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
//      (+ AWS_ROLE_SESSION_NAME) exchanged at STS AssumeRoleWithWebIdentity;
//      STS is https://sts.<region>.amazonaws.com unless AWS_ENDPOINT_URL_STS
//      (or AWS_ENDPOINT_URL) names another
//   3. the container credentials endpoint (ECS, EKS Pod Identity) and
//   4. IMDSv2, an EC2 instance role (aws_instance_credentials.h)
//   5. none: an S3 request goes out unsigned (public objects)
#include <optional>
#include <string>
#include <string_view>

#include "http/client.h"
#include "log/log.h"
#include "objstore/env.h"
#include "objstore/sigv4.h"

namespace kiln::objstore {

// The text of the first <tag>…</tag> in an XML document, with the five
// predefined entities decoded; "" when absent. Enough for STS and S3 answers.
std::string xml_text(std::string_view xml, std::string_view tag);

// The credentials in an AssumeRoleWithWebIdentity answer. Throws kiln::IoError
// quoting STS's error code and message when it has none.
AwsCredentials parse_assume_role_response(std::string_view xml);

// The STS request for a web identity token (pure).
http::Request assume_role_with_web_identity_request(const std::string& sts_url, const std::string& role_arn,
                                                    const std::string& session_name, const std::string& token);

// Steps 1 to 4; nullopt when none has credentials. Throws kiln::UsageError
// for a half-set configuration (a key id without its secret, an unreadable
// token file) and kiln::IoError when STS or an endpoint refuses.
std::optional<AwsCredentials> find_aws_credentials(const GetEnv& env, const std::string& region, http::Client& client,
                                                   log::Logger& log);

// For S3: as above, empty credentials (an unsigned request) when none.
AwsCredentials aws_credentials(const GetEnv& env, const std::string& region, http::Client& client, log::Logger& log);

}  // namespace kiln::objstore
