#pragma once
// Hands a layer from the registry client (which pushes bytes from libcurl's
// callback) to the extractor (which pulls them through libarchive), so a
// layer is applied while it downloads without ever being held whole.
//
// Bounded: a producer faster than the extractor blocks instead of buffering
// the layer. Either side can fail the other: the producer's error surfaces in
// the consumer's read(); a consumer that stops (extraction error) calls
// abort(), and the producer's next write() throws so the download ends.
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <vector>

namespace kiln::layer {

class BytePipe {
 public:
  explicit BytePipe(std::size_t capacity = 4 * 1024 * 1024);

  // Producer side. write() blocks while the buffer is full; throws
  // kiln::Error once the consumer has aborted.
  void write(const char* data, std::size_t n);
  void close();                    // end of stream: read() returns 0 when drained
  void fail(std::exception_ptr e);  // the next read() rethrows e (buffered bytes are dropped)

  // Consumer side. Blocks until at least one byte, EOF (returns 0), or the
  // producer's failure (rethrown).
  std::size_t read(char* buf, std::size_t max);
  // The consumer gives up: pending and future writes throw, buffered bytes
  // are dropped.
  void abort();

 private:
  std::mutex mu_;
  std::condition_variable can_read_, can_write_;
  std::vector<char> ring_;
  std::size_t head_ = 0, size_ = 0;
  bool closed_ = false;
  bool aborted_ = false;
  std::exception_ptr error_;
};

}  // namespace kiln::layer
