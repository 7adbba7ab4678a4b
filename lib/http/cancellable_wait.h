#pragma once
// The pause between two attempts of a retried transfer, cut short when the
// build is cancelled: a SIGTERM must not wait out a 30 s backoff (a pod's
// grace period is 30 s, then SIGKILL leaves no cleanup).
#include <chrono>
#include <functional>
#include <string>

namespace kiln::http {

// Sleeps `delay`, asking `cancelled` (may be empty) every 50 ms; throws
// http::Cancelled ("<what>: stopped, the build was interrupted") once it
// says true.
void wait_unless_cancelled(std::chrono::milliseconds delay, const std::function<bool()>& cancelled,
                           const std::string& what);

}  // namespace kiln::http
