#pragma once
// A registry (or token server) answered with an HTTP error status. 5xx and
// 429 are worth retrying; other 4xx are final.
#include <string>

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

// "401 Unauthorized", "503 Service Unavailable", "418" for unknown codes.
std::string status_text(long status);

}  // namespace kiln::registry
