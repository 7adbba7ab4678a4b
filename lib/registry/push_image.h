#pragma once
// Pushing one image to several destinations so that no tag appears before
// every destination holds every blob: (1) upload the layers and the config
// everywhere, (2) confirm each blob is present in each repository, (3) only
// then write the manifests (tags). Shared by the build's outputs and
// `executor push`.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "image/descriptor.h"
#include "log/log.h"
#include "registry/blob_source.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace kiln::registry {

struct PushBlob {
  image::Descriptor descriptor;
  // Opened once per upload attempt (a retry starts from byte 0).
  std::function<std::unique_ptr<BlobSource>()> open;
  // Repositories on the destination's registry that may already hold it.
  std::vector<Reference> mount_from;
};

struct PushManifest {
  std::vector<PushBlob> blobs;  // layers and config, in upload order
  std::string media_type;
  std::string bytes;  // exact manifest bytes
};

struct PushSettings {
  // --push-ignore-immutable-tag-errors: a tag the registry refuses to move
  // because it is immutable is a warning; the other destinations still get
  // theirs and the image's digest is reported.
  bool ignore_immutable_tag_errors = false;
};

// Where a push's time went, phase by phase (for BENCHMARK_FILE).
struct PushTimes {
  double blobs_seconds = 0;      // (1) uploads, mounts, or finding each blob there
  double confirm_seconds = 0;    // (2) every blob checked in every destination
  double manifests_seconds = 0;  // (3) the tags
};

// Returns the manifest digest of each destination, in order. Throws (naming
// the destination and blob) before any tag is written when a blob cannot be
// uploaded or is missing afterwards. `times`, when given, gets the phases' times.
std::vector<std::string> push_image(Client& client, const PushManifest& image, const std::vector<Reference>& dests,
                                    log::Logger& log, const PushSettings& settings = {}, PushTimes* times = nullptr);

// A BlobSource over a string that outlives it.
class StringSource : public BlobSource {
 public:
  explicit StringSource(const std::string& s) : s_(s) {}
  std::size_t read(char* buf, std::size_t n) override;

 private:
  const std::string& s_;
  std::size_t pos_ = 0;
};

}  // namespace kiln::registry
