#pragma once
// gzip on several cores, the way pigz does it: the input is cut into fixed
// blocks, each block is deflated on its own (primed with the previous block's
// last 32 KiB as dictionary, so matches still reach back across the cut) and
// ends with a sync flush that leaves it byte-aligned; the blocks are written
// in order as the body of one gzip member whose header and trailer this class
// writes, the CRC-32 of the whole joined from the blocks' with crc32_combine.
//
// Determinism: a block's bytes depend only on its input, the previous block's
// tail, the level and whether it is the last one — never on which thread
// compressed it or when. The block format is used even with one thread, so
// the output is the same on every machine for every thread count.
//
// Memory is bounded: at most `threads * kBlocksPerThread` blocks are in
// flight; a writer that gets ahead waits for the oldest block to finish.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace kiln::layer {

class ParallelGzip {
 public:
  // Receives the compressed bytes, in order, always on the thread that calls
  // write()/finish(); an exception it throws propagates out of that call.
  using Output = std::function<void(const void* data, std::size_t n)>;

  static constexpr std::size_t kDefaultBlockSize = 256 * 1024;
  static constexpr std::size_t kBlocksPerThread = 4;

  // level -1 is zlib's default (6). threads 0 picks the number of cores;
  // threads 1 compresses on the caller's thread with no pool. block_size is
  // at least 32 KiB (smaller values are raised to that).
  ParallelGzip(Output out, int level, unsigned threads = 0, std::size_t block_size = kDefaultBlockSize);
  ~ParallelGzip();
  ParallelGzip(const ParallelGzip&) = delete;
  ParallelGzip& operator=(const ParallelGzip&) = delete;

  void write(const void* data, std::size_t n);
  // Compresses what is left, emits every block and the trailer. No write()
  // afterwards. Throws kiln::Error when zlib fails.
  void finish();

  // How many worker threads the pool has (0 when compressing inline).
  unsigned workers() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The thread count ParallelGzip uses for `threads` = 0: the machine's cores,
// at least 1 and at most 8 (more buys nothing for one layer stream).
unsigned default_compression_threads();

}  // namespace kiln::layer
