#pragma once
// Words an object store's error answer for a message: "HTTP 404 NoSuchKey
// (The specified key does not exist.)" from S3's or Azure's XML, "HTTP 404
// (No such object: b/o)" from GCS's JSON. Pure; quotes only the code and the
// first line of the message, never the request.
#include <string>
#include <string_view>

namespace kiln::objstore {

std::string describe_store_error(long status, std::string_view body);

}  // namespace kiln::objstore
