#include "layer/pipe.h"

#include <algorithm>
#include <cstring>

#include "base/error.h"

namespace kiln::layer {

BytePipe::BytePipe(std::size_t capacity) : ring_(capacity == 0 ? 1 : capacity) {}

void BytePipe::write(const char* data, std::size_t n) {
  std::unique_lock lk(mu_);
  if (closed_ || error_) throw Error("byte pipe: write after close");
  while (n > 0) {
    can_write_.wait(lk, [&] { return aborted_ || size_ < ring_.size(); });
    if (aborted_) throw Error("byte pipe: the reader stopped (layer extraction failed)");
    std::size_t tail = (head_ + size_) % ring_.size();
    std::size_t room = std::min(ring_.size() - size_, ring_.size() - tail);
    std::size_t k = std::min(room, n);
    std::memcpy(ring_.data() + tail, data, k);
    size_ += k;
    data += k;
    n -= k;
    can_read_.notify_one();
  }
}

void BytePipe::close() {
  std::lock_guard lk(mu_);
  closed_ = true;
  can_read_.notify_all();
}

void BytePipe::fail(std::exception_ptr e) {
  std::lock_guard lk(mu_);
  if (!error_) error_ = e ? e : std::make_exception_ptr(Error("byte pipe: producer failed"));
  can_read_.notify_all();
}

std::size_t BytePipe::read(char* buf, std::size_t max) {
  std::unique_lock lk(mu_);
  if (max == 0) return 0;
  can_read_.wait(lk, [&] { return aborted_ || size_ > 0 || closed_ || error_; });
  if (aborted_) throw Error("byte pipe: read after abort");
  // A failed download's remaining bytes are useless: report at once.
  if (error_) std::rethrow_exception(error_);
  if (size_ == 0) return 0;  // closed and drained
  std::size_t k = std::min({max, size_, ring_.size() - head_});
  std::memcpy(buf, ring_.data() + head_, k);
  head_ = (head_ + k) % ring_.size();
  size_ -= k;
  can_write_.notify_one();
  return k;
}

void BytePipe::abort() {
  std::lock_guard lk(mu_);
  aborted_ = true;
  size_ = 0;
  can_write_.notify_all();
  can_read_.notify_all();
}

}  // namespace kiln::layer
