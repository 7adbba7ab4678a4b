#include "registry/retry.h"

#include <algorithm>

#include "http/cancellable_wait.h"
#include "http/transport_error.h"
#include "registry/status_error.h"

namespace kiln::registry {

void with_retry(const RetryPolicy& policy, log::Logger& log, const std::string& what,
                const std::function<void(int)>& attempt) {
  auto delay = policy.initial_delay;
  for (int i = 0;; ++i) {
    std::chrono::milliseconds wait = delay;
    std::string message;
    try {
      attempt(i);
      return;
    } catch (const http::TransportError& e) {
      if (i >= policy.retries) {
        if (i == 0) throw;
        throw http::TransportError(std::string(e.what()) + " (after " + std::to_string(i + 1) + " attempts)",
                                   e.curl_code());
      }
      message = e.what();
    } catch (const StatusError& e) {
      if (!e.retryable()) throw;
      if (i >= policy.retries) {
        if (i == 0) throw;
        throw StatusError(std::string(e.what()) + " (after " + std::to_string(i + 1) + " attempts)", e.status(),
                          e.retry_after_s());
      }
      if (e.retry_after_s() >= 0) wait = std::chrono::seconds(e.retry_after_s());
      message = e.what();
    }
    wait = std::min(wait, policy.max_delay);
    log.warn(what + " failed, retrying in " + std::to_string(wait.count()) + " ms (attempt " +
             std::to_string(i + 2) + " of " + std::to_string(policy.retries + 1) + "): " + message);
    http::wait_unless_cancelled(wait, policy.cancelled, what);
    delay = std::min(delay * 2, policy.max_delay);
  }
}

}  // namespace kiln::registry
