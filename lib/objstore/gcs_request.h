#pragma once
// Where a Google Cloud Storage object lives and the GET for it (pure), over
// the JSON API: <base>/storage/v1/b/<bucket>/o/<object, fully encoded>?alt=media.
// <base> is https://storage.googleapis.com, or STORAGE_EMULATOR_HOST
// ("host:port" means http://host:port, as Google's client libraries read it).
// Unlike those libraries, kiln still sends its token to an emulator when it
// has one, so an emulator that checks tokens can be used.
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"
#include "objstore/env.h"

namespace kiln::objstore {

struct GcsLocation {
  std::string bucket;
  std::string object;
};

// "bucket/path/ctx.tar.gz" (after gs://); a bare "bucket" means
// bucket/context.tar.gz. Throws kiln::UsageError naming the URL when the
// bucket is missing.
GcsLocation parse_gcs_location(std::string_view location);

std::string gcs_media_url(const GcsLocation& loc, const GetEnv& env);

// A GET with "Authorization: Bearer <token>", or anonymous without a token.
http::Request gcs_get(const std::string& url, const std::optional<std::string>& token);

}  // namespace kiln::objstore
