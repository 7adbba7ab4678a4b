#pragma once
// The finished image leaves the build: pushed to every --destination, and/or
// written as a docker-archive tarball or an OCI layout, with kaniko's digest
// files.
#include <map>
#include <string>
#include <vector>

#include "cli/executor_options.h"
#include "image/image_blobs.h"
#include "log/log.h"
#include "registry/client.h"
#include "registry/image_state.h"

namespace kiln::engine {

// Config bytes and manifest for the image in its output format. Layer media
// types are converted when the format differs from the one they came in.
image::ImageBlobs assemble(const registry::ImageState& img, image::ManifestFormat format,
                           const std::map<std::string, std::string>& annotations);

struct OutputResult {
  std::string digest;  // manifest digest
};

// Pushes (unless --no-push), writes --tar-path / --oci-layout-path and the
// digest files. A destination's tag is written only after every blob of the
// image is confirmed present in that repository.
OutputResult write_outputs(const registry::ImageState& img, const cli::ExecutorOptions& opts, registry::Client& client,
                           log::Logger& log);

}  // namespace kiln::engine
