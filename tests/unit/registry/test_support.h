#pragma once
// Small helpers shared by the registry tests: an in-memory blob source, a
// logger whose output the test can read, blob/manifest builders.
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "digest/sha256.h"
#include "image/descriptor.h"
#include "image/media_types.h"
#include "log/log.h"
#include "registry/blob_source.h"

namespace kiln::testing {

class StringSource : public registry::BlobSource {
 public:
  explicit StringSource(std::string s) : s_(std::move(s)) {}
  std::size_t read(char* buf, std::size_t n) override {
    std::size_t k = std::min(n, s_.size() - off_);
    std::memcpy(buf, s_.data() + off_, k);
    off_ += k;
    return k;
  }

 private:
  std::string s_;
  std::size_t off_ = 0;
};

inline auto opener(const std::string& data) {
  return [data]() -> std::unique_ptr<registry::BlobSource> { return std::make_unique<StringSource>(data); };
}

inline image::Descriptor describe(const std::string& data, std::string_view media_type) {
  image::Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = "sha256:" + digest::sha256_hex(data);
  d.size = static_cast<std::int64_t>(data.size());
  return d;
}

inline std::string manifest_json(const image::Descriptor& config, const image::Descriptor& layer) {
  auto desc = [](const image::Descriptor& d) {
    return "{\"mediaType\":\"" + d.media_type + "\",\"digest\":\"" + d.digest + "\",\"size\":" + std::to_string(d.size) + "}";
  };
  return "{\"schemaVersion\":2,\"mediaType\":\"" + std::string(image::media::kOciManifest) + "\",\"config\":" + desc(config) +
         ",\"layers\":[" + desc(layer) + "]}";
}

// A Logger writing into a temporary file the test can read back.
class CapturedLog {
 public:
  CapturedLog() : f_(std::tmpfile()), log_(log::Logger::Options{log::Level::Debug, log::Format::Text, false, f_}) {}
  ~CapturedLog() { std::fclose(f_); }
  log::Logger& logger() { return log_; }
  std::string text() {
    std::fflush(f_);
    std::string out;
    std::rewind(f_);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f_)) > 0) out.append(buf, n);
    std::fseek(f_, 0, SEEK_END);
    return out;
  }

 private:
  std::FILE* f_;
  log::Logger log_;
};

}  // namespace kiln::testing
