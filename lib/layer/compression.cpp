#include "layer/compression.h"

#include "image/media_types.h"

namespace kiln::layer {

namespace {
// Not in image/media_types.h because only an uncompressed Docker layer needs it.
constexpr std::string_view kDockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar";
}  // namespace

std::string_view media_type_oci(Compression c) {
  switch (c) {
    case Compression::Gzip: return image::media::kOciLayerGzip;
    case Compression::Zstd: return image::media::kOciLayerZstd;
    case Compression::None: return image::media::kOciLayer;
  }
  return image::media::kOciLayer;
}

std::string_view media_type_docker(Compression c) {
  switch (c) {
    case Compression::Gzip: return image::media::kDockerLayerGzip;
    case Compression::Zstd: return image::media::kOciLayerZstd;
    case Compression::None: return kDockerLayerTar;
  }
  return kDockerLayerTar;
}

}  // namespace kiln::layer
