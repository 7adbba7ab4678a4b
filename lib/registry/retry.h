#pragma once
// Retries with exponential backoff for what is worth retrying: no HTTP
// answer at all (http::TransportError), 5xx and 429 (StatusError). A 429's
// or 503's Retry-After is honoured up to the cap. Anything else propagates at
// once.
#include <chrono>
#include <functional>
#include <string>

#include "log/log.h"

namespace kiln::registry {

struct RetryPolicy {
  int retries = 0;  // extra attempts after the first
  std::chrono::milliseconds initial_delay{1000};
  std::chrono::milliseconds max_delay{30000};
  // The build's cancel flag (may be empty): a wait between attempts ends
  // with http::Cancelled as soon as it says true.
  std::function<bool()> cancelled;
};

// Runs `attempt` (given the 0-based attempt number) until it returns or
// fails with a final error. The last error is rethrown, its message prefixed
// with the attempt count when retries happened.
void with_retry(const RetryPolicy& policy, log::Logger& log, const std::string& what,
                const std::function<void(int)>& attempt);

}  // namespace kiln::registry
