#include "registry/push_image.h"

#include <algorithm>
#include <chrono>

#include "base/error.h"
#include "digest/sha256.h"
#include "registry/status_error.h"

namespace kiln::registry {

std::size_t StringSource::read(char* buf, std::size_t n) {
  std::size_t k = std::min(n, s_.size() - pos_);
  std::copy_n(s_.data() + pos_, k, buf);
  pos_ += k;
  return k;
}

namespace {

// Seconds since `t`; `t` moves on to now.
double lap(std::chrono::steady_clock::time_point& t) {
  auto now = std::chrono::steady_clock::now();
  double s = std::chrono::duration<double>(now - t).count();
  t = now;
  return s;
}

}  // namespace

std::vector<std::string> push_image(Client& client, const PushManifest& image, const std::vector<Reference>& dests,
                                    log::Logger& log, const PushSettings& settings, PushTimes* times) {
  PushTimes local;
  PushTimes& tm = times ? *times : local;
  auto t = std::chrono::steady_clock::now();
  for (const auto& dest : dests)
    for (const auto& b : image.blobs) client.push_blob(dest, b.descriptor, b.open, b.mount_from);
  tm.blobs_seconds = lap(t);
  for (const auto& dest : dests)
    for (const auto& b : image.blobs)
      if (!client.blob_exists(dest, b.descriptor.digest))
        throw IoError("pushing " + dest.str() + ": the registry does not have blob " + b.descriptor.digest +
                      " after upload; no tag was written");
  tm.confirm_seconds = lap(t);
  std::vector<std::string> digests;
  for (const auto& dest : dests) {
    try {
      std::string got = client.put_manifest(dest, image.media_type, image.bytes);
      log.info("Pushed " + dest.repo_str() + "@" + got);
      digests.push_back(got);
    } catch (const ImmutableTagError& e) {
      if (!settings.ignore_immutable_tag_errors) throw;
      log.warn(std::string(e.what()) + " (--push-ignore-immutable-tag-errors: the tag keeps its image)");
      digests.push_back("sha256:" + digest::sha256_hex(image.bytes));
    }
  }
  tm.manifests_seconds = lap(t);
  return digests;
}

}  // namespace kiln::registry
