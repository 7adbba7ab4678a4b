#include "http/cancellable_wait.h"

#include <algorithm>
#include <thread>

#include "http/client.h"

namespace kiln::http {

void wait_unless_cancelled(std::chrono::milliseconds delay, const std::function<bool()>& cancelled,
                           const std::string& what) {
  const auto end = std::chrono::steady_clock::now() + delay;
  for (;;) {
    if (cancelled && cancelled()) throw Cancelled(what + ": stopped, the build was interrupted");
    auto left = end - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
}

}  // namespace kiln::http
