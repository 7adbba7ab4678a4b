#pragma once
// A build for several platforms (--custom-platform=linux/amd64,linux/arm64)
// leaves as one image index: every platform's image pushed by digest to
// every --destination, then the index under the destination's tag (a Docker
// manifest list when the images are Docker schema 2, an OCI index
// otherwise), so no tag appears before every image is complete everywhere.
// --oci-layout-path holds every image and the index, --tar-path the same as
// a tarball that docker load also reads (image/index_archive.h); the digest
// files name the index.
#include <vector>

#include "engine/outputs.h"
#include "image/descriptor.h"
#include "log/log.h"
#include "registry/client.h"
#include "registry/image_state.h"

namespace kiln::engine {

struct PlatformBuild {
  image::Platform platform;  // the --custom-platform it was built for: its index entry
  registry::ImageState image;
};

// Throws kiln::Error naming the platform or destination at fault.
OutputResult write_index_outputs(const std::vector<PlatformBuild>& builds, const Outputs& outputs,
                                 registry::Client& client, log::Logger& log);

}  // namespace kiln::engine
