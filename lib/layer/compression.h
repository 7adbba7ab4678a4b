#pragma once
// Which codec wraps a layer's tar, and the media types that name the result.
#include <string_view>

namespace kiln::layer {

enum class Compression { Gzip, Zstd, None };

// Docker's schema 2 has no zstd type: registries and docker itself accept the
// OCI zstd type inside a Docker manifest, which is what other builders emit.
std::string_view media_type_oci(Compression c);
std::string_view media_type_docker(Compression c);

}  // namespace kiln::layer
