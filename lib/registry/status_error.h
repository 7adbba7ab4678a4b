#pragma once
// A registry (or token server) answered with an HTTP error status. 5xx and
// 429 are worth retrying; other 4xx are final.
#include <string>
#include <string_view>

#include "base/error.h"

namespace kiln::registry {

class StatusError : public IoError {
 public:
  StatusError(const std::string& what, long status, long retry_after_s = -1)
      : IoError(what), status_(status), retry_after_s_(retry_after_s) {}
  long status() const { return status_; }
  long retry_after_s() const { return retry_after_s_; }  // -1 when not given
  bool retryable() const { return status_ >= 500 || status_ == 429; }

 private:
  long status_;
  long retry_after_s_;
};

// A manifest PUT refused because the tag exists and the repository keeps
// tags immutable (ECR TAG_INVALID/MANIFEST_INVALID, Harbor's immutability
// rules, Artifact Registry's immutable tags).
class ImmutableTagError : public StatusError {
 public:
  using StatusError::StatusError;
};

// Whether an error answer to a manifest PUT says the tag is immutable: a 4xx
// whose body mentions immutability (every registry above words it so).
bool is_immutable_tag_refusal(long status, std::string_view body);

// "401 Unauthorized", "503 Service Unavailable", "418" for unknown codes.
std::string status_text(long status);

}  // namespace kiln::registry
