#pragma once
// Runs fn(0) … fn(n-1) on at most `jobs` threads at once: independent
// network requests (the layer cache's lookahead) that each spend their time
// waiting on a server, so a few threads overlap them without a queue.
#include <cstddef>
#include <functional>

namespace kiln {

// Returns when every call has returned. fn must not throw: an exception
// escaping it ends the process (std::terminate), as on any thread.
void bounded_parallel(std::size_t n, std::size_t jobs, const std::function<void(std::size_t)>& fn);

}  // namespace kiln
