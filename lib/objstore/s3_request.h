#pragma once
// Where an S3 object lives and the signed GET for it (pure). Environment, as
// kaniko and the AWS SDKs read it:
//   AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1
//   S3_ENDPOINT (kaniko's name), else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL:
//     an S3-compatible store, "http(s)://host[:port][/prefix]"
//   S3_FORCE_PATH_STYLE=true: https://endpoint/bucket/key instead of
//     https://bucket.endpoint/key (always so for IP-literal endpoints and for
//     bucket names with dots, where virtual hosts cannot work)
#include <ctime>
#include <string>

#include "http/message.h"
#include "objstore/env.h"
#include "objstore/sigv4.h"

namespace kiln::objstore {

struct S3Location {
  std::string bucket;
  std::string key;
};

// "bucket/path/ctx.tar.gz" (after s3://); a bare "bucket" means
// bucket/context.tar.gz. Throws kiln::UsageError naming the URL when the
// bucket is missing.
S3Location parse_s3_location(std::string_view location);

struct S3Settings {
  std::string region = "us-east-1";
  std::string endpoint;  // empty: AWS itself
  bool force_path_style = false;
};
S3Settings s3_settings(const GetEnv& env);

struct S3Target {
  std::string url;            // what is requested
  std::string host;           // the Host header the server sees (signed)
  std::string canonical_uri;  // the encoded path (signed)
};
S3Target s3_target(const S3Location& loc, const S3Settings& s);

// A GET for the target; signed with SigV4 unless creds are empty (anonymous).
http::Request s3_get(const S3Target& t, const std::string& region, const AwsCredentials& creds, std::time_t now);

}  // namespace kiln::objstore
