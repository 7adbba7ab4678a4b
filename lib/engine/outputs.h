#pragma once
// The finished image leaves the build: pushed to every --destination, and/or
// written as a docker-archive tarball or an OCI layout, with kaniko's digest
// files.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/digest_files.h"
#include "image/image_blobs.h"
#include "log/log.h"
#include "registry/client.h"
#include "registry/image_state.h"
#include "registry/push_image.h"
#include "registry/reference.h"

namespace kiln::engine {

// Config bytes and manifest for the image in its output format. Layer media
// types are converted when the format differs from the one they came in.
image::ImageBlobs assemble(const registry::ImageState& img, image::ManifestFormat format,
                           const std::map<std::string, std::string>& annotations);

// How a layer is pushed: from its file, downloaded first when only its
// registry has it (ensure_local), mountable from that registry's repository.
// `l` must outlive the PushBlob. The descriptor is the layer's own.
registry::PushBlob layer_push_blob(const registry::Layer& l);

// Where the image goes, parsed from the options before the build starts.
struct Outputs {
  std::vector<std::string> destination_names;     // --destination as written (docker-archive RepoTags)
  std::vector<registry::Reference> destinations;  // the same, parsed
  bool push = true;                               // false with --no-push
  registry::PushSettings push_settings;           // --push-ignore-immutable-tag-errors
  std::optional<image::ManifestFormat> format;    // --image-format; nullopt: the base image's
  std::map<std::string, std::string> annotations; // --annotation (forces OCI: Docker schema 2 has none)
  std::string tar_path;                           // --tar-path
  std::string oci_layout_path;                    // --oci-layout-path
  DigestFiles digest_files;

  // The tag a tarball or OCI layout names the image by: the first
  // destination's, none when it has only a digest or there is none.
  std::optional<std::string> first_tag() const;
};

// The image's layers and config as push_image takes them (blobs holds its
// manifest and config bytes; both img and blobs must outlive the push).
registry::PushManifest push_request(const registry::ImageState& img, const image::ImageBlobs& blobs,
                                   image::ManifestFormat format, const std::vector<registry::Reference>& dests);

// Output files may name directories that do not exist yet (kaniko creates
// them). Throws kiln::IoError naming the directory.
void make_parent_dir(const std::string& path);

struct OutputResult {
  std::string digest;  // manifest digest
  registry::PushTimes push_times;  // zero without a push
};

// Pushes (unless --no-push), writes --tar-path / --oci-layout-path and the
// digest files. A destination's tag is written only after every blob of the
// image is confirmed present in that repository.
OutputResult write_outputs(const registry::ImageState& img, const Outputs& outputs, registry::Client& client,
                           log::Logger& log);

}  // namespace kiln::engine
