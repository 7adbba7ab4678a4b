#pragma once
// An OCI content descriptor: what a manifest says about a blob.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace kiln::image {

struct Platform {
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;     // "v8" for arm64, empty when none
  std::string os_version;  // Windows only; kept for round trips
  std::string str() const { return os + "/" + architecture + (variant.empty() ? "" : "/" + variant); }
  friend bool operator==(const Platform&, const Platform&) = default;
};

struct Descriptor {
  std::string media_type;
  std::string digest;  // "sha256:…", validated by whoever parsed it
  std::int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;  // set for entries of an index
  std::string artifact_type;
};

}  // namespace kiln::image
