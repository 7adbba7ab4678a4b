#include "layer/parallel_gzip.h"

#include <zlib.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"
#include "layer/incompressible.h"

namespace kiln::layer {

namespace {

// deflate's window: a dictionary longer than this is never looked at.
constexpr std::size_t kWindow = 32 * 1024;

struct Block {
  std::vector<unsigned char> dict;  // the previous block's last kWindow bytes (empty for the first)
  std::vector<unsigned char> in;
  std::vector<unsigned char> out;
  bool last = false;
  uLong crc = 0;
  bool done = false;
  std::exception_ptr error;
};

// A raw-deflate stream (windowBits -15: the gzip wrapper is ours).
class RawDeflate {
 public:
  explicit RawDeflate(int level) {
    if (deflateInit2(&z_, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      throw Error("gzip: cannot initialise deflate at level " + std::to_string(level));
  }
  ~RawDeflate() { deflateEnd(&z_); }
  RawDeflate(const RawDeflate&) = delete;
  RawDeflate& operator=(const RawDeflate&) = delete;
  z_stream& operator*() { return z_; }

 private:
  z_stream z_{};
};

// One deflater per thread, reset for every block: cheaper than deflateInit
// per block and gives identical bytes. A block that deflate could barely
// shrink (layer/incompressible.h) goes through a level-0 stream instead:
// stored blocks, at memory speed.
class Deflater {
 public:
  explicit Deflater(int level) : level_(level), deflate_(level) {}

  void compress(Block& b) {
    const bool store = level_ > 0 && incompressible(b.dict, b.in);
    if (store && !stored_) stored_ = std::make_unique<RawDeflate>(0);
    z_stream& z = store ? **stored_ : *deflate_;
    if (deflateReset(&z) != Z_OK) throw Error("gzip: deflateReset failed");
    if (!b.dict.empty() && !store &&
        deflateSetDictionary(&z, b.dict.data(), static_cast<uInt>(b.dict.size())) != Z_OK)
      throw Error("gzip: deflateSetDictionary failed");
    b.crc = crc32(0L, b.in.data(), static_cast<uInt>(b.in.size()));
    // deflateBound does not count the sync-flush marker (an empty stored
    // block, 5 bytes plus alignment): leave room for it.
    b.out.resize(deflateBound(&z, static_cast<uLong>(b.in.size())) + 64);
    z.next_in = b.in.data();
    z.avail_in = static_cast<uInt>(b.in.size());
    z.next_out = b.out.data();
    z.avail_out = static_cast<uInt>(b.out.size());
    const int flush = b.last ? Z_FINISH : Z_SYNC_FLUSH;
    for (;;) {
      int rc = deflate(&z, flush);
      if (rc == Z_STREAM_ERROR) throw Error("gzip: deflate failed");
      bool complete = b.last ? rc == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0);
      if (complete) break;
      // Out of room (should not happen with the bound above): grow and go on.
      std::size_t used = b.out.size() - z.avail_out;
      b.out.resize(b.out.size() * 2);
      z.next_out = b.out.data() + used;
      z.avail_out = static_cast<uInt>(b.out.size() - used);
    }
    b.out.resize(b.out.size() - z.avail_out);
  }

 private:
  int level_;
  RawDeflate deflate_;
  std::unique_ptr<RawDeflate> stored_;  // made on the first incompressible block
};

void put_le32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

}  // namespace

unsigned default_compression_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return std::clamp(n, 1u, 8u);
}

struct ParallelGzip::Impl {
  Output out;
  int level = Z_DEFAULT_COMPRESSION;
  std::size_t block_size = 0;
  std::size_t max_in_flight = 1;

  std::unique_ptr<Block> current;   // being filled by write()
  std::vector<unsigned char> tail;  // last kWindow bytes of the input so far
  std::vector<std::unique_ptr<Block>> spare;  // finished blocks, buffers kept for reuse
  std::unique_ptr<Deflater> inline_deflater;  // used when there is no pool

  uLong crc = crc32(0L, Z_NULL, 0);
  std::uint64_t total_in = 0;
  bool finished = false;
  // Set when writing out failed (the disk filled up, say): the stream is
  // then unusable, and a later write()/finish() (libarchive flushes on
  // close, after the error) must fail cleanly instead of touching the
  // half-moved state.
  bool failed = false;

  // The pool. `in_flight` is in input order (emission order); `queue` holds
  // the blocks no worker has taken yet.
  std::mutex mu;
  std::condition_variable work_cv, done_cv;
  std::deque<Block*> queue;
  std::deque<std::unique_ptr<Block>> in_flight;
  bool stopping = false;
  std::vector<std::thread> workers;

  ~Impl() {
    {
      std::lock_guard<std::mutex> lock(mu);
      stopping = true;
    }
    work_cv.notify_all();
    for (auto& t : workers) t.join();
  }

  void worker_loop() {
    std::unique_ptr<Deflater> d;
    std::exception_ptr init_error;
    try {
      d = std::make_unique<Deflater>(level);
    } catch (...) {
      init_error = std::current_exception();
    }
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      work_cv.wait(lock, [this] { return stopping || !queue.empty(); });
      if (stopping) return;
      Block* b = queue.front();
      queue.pop_front();
      lock.unlock();
      std::exception_ptr err = init_error;
      if (!err) {
        try {
          d->compress(*b);
        } catch (...) {
          err = std::current_exception();
        }
      }
      lock.lock();
      b->error = err;
      b->done = true;
      done_cv.notify_all();
    }
  }

  std::unique_ptr<Block> fresh_block() {
    std::unique_ptr<Block> b;
    if (!spare.empty()) {
      b = std::move(spare.back());
      spare.pop_back();
    } else {
      b = std::make_unique<Block>();
    }
    b->in.clear();
    b->in.reserve(block_size);
    b->dict.clear();
    b->out.clear();
    b->last = false;
    b->crc = 0;
    b->done = false;
    b->error = nullptr;
    return b;
  }

  void emit(Block& b) {
    if (b.error) std::rethrow_exception(b.error);
    out(b.out.data(), b.out.size());
    crc = crc32_combine(crc, b.crc, static_cast<z_off_t>(b.in.size()));
    total_in += b.in.size();
  }

  void recycle(std::unique_ptr<Block> b) {
    // Keep enough buffers for the blocks in flight; drop the rest.
    if (spare.size() < max_in_flight + 1) spare.push_back(std::move(b));
  }

  // Waits for the oldest block in flight and writes it out.
  void emit_oldest() {
    std::unique_ptr<Block> b;
    {
      std::unique_lock<std::mutex> lock(mu);
      done_cv.wait(lock, [this] { return in_flight.front()->done; });
      b = std::move(in_flight.front());
      in_flight.pop_front();
    }
    emit(*b);
    recycle(std::move(b));
  }

  // Hands the current block to the pool (or compresses it here) and starts a
  // new one primed with the dictionary it leaves behind.
  void submit(bool last) {
    std::unique_ptr<Block> b = std::move(current);
    b->last = last;
    b->dict = tail;
    // The next block's dictionary: the last kWindow bytes of tail + b->in.
    if (b->in.size() >= kWindow) {
      tail.assign(b->in.end() - kWindow, b->in.end());
    } else {
      tail.insert(tail.end(), b->in.begin(), b->in.end());
      if (tail.size() > kWindow) tail.erase(tail.begin(), tail.end() - kWindow);
    }
    if (workers.empty()) {
      inline_deflater->compress(*b);
      emit(*b);
      recycle(std::move(b));
    } else {
      {
        std::lock_guard<std::mutex> lock(mu);
        queue.push_back(b.get());
        in_flight.push_back(std::move(b));
      }
      work_cv.notify_one();
      while (in_flight_count() >= max_in_flight) emit_oldest();
    }
    if (!last) current = fresh_block();
  }

  std::size_t in_flight_count() {
    std::lock_guard<std::mutex> lock(mu);
    return in_flight.size();
  }

  void header() {
    // mtime 0, no name: the bytes depend on the content only. XFL as zlib
    // sets it; OS 3 (Unix), as zlib writes on Unix.
    int xfl = level == 9 ? 2 : (level == 1 || level == 0 ? 4 : 0);
    const unsigned char h[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, static_cast<unsigned char>(xfl), 3};
    out(h, sizeof h);
  }
};

ParallelGzip::ParallelGzip(Output out, int level, unsigned threads, std::size_t block_size)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.out = std::move(out);
  if (level < -1 || level > 9) throw Error("gzip: compression level " + std::to_string(level) + " is not in 0..9");
  m.level = level < 0 ? Z_DEFAULT_COMPRESSION : level;
  if (m.level == Z_DEFAULT_COMPRESSION) m.level = 6;  // zlib's default, spelled out for the XFL byte
  m.block_size = std::max(block_size, kWindow);
  if (threads == 0) threads = default_compression_threads();
  m.current = m.fresh_block();
  if (threads <= 1) {
    m.inline_deflater = std::make_unique<Deflater>(m.level);
  } else {
    m.max_in_flight = threads * kBlocksPerThread;
    for (unsigned i = 0; i < threads; ++i) m.workers.emplace_back([&m] { m.worker_loop(); });
  }
  m.header();
}

ParallelGzip::~ParallelGzip() = default;

unsigned ParallelGzip::workers() const { return static_cast<unsigned>(impl_->workers.size()); }

void ParallelGzip::write(const void* data, std::size_t n) {
  Impl& m = *impl_;
  if (m.finished) throw Error("gzip: write after finish");
  if (m.failed) throw Error("gzip: write after the stream failed");
  auto* p = static_cast<const unsigned char*>(data);
  // Any exception below leaves the stream half-submitted for good.
  struct FailGuard {
    Impl& m;
    int exceptions = std::uncaught_exceptions();
    ~FailGuard() {
      if (std::uncaught_exceptions() > exceptions) m.failed = true;
    }
  } guard{m};
  while (n > 0) {
    std::size_t room = m.block_size - m.current->in.size();
    std::size_t take = std::min(room, n);
    m.current->in.insert(m.current->in.end(), p, p + take);
    p += take;
    n -= take;
    // Blocks are cut at fixed offsets of the input, whatever the sizes of
    // the write() calls: the output must not depend on how the caller chunks.
    // Input that is a whole number of blocks ends with an empty last block.
    if (m.current->in.size() == m.block_size) m.submit(false);
  }
}

void ParallelGzip::finish() {
  Impl& m = *impl_;
  if (m.finished) throw Error("gzip: finished twice");
  if (m.failed) throw Error("gzip: finish after the stream failed");
  m.failed = true;  // until the trailer is out: a throw below leaves it set
  m.submit(true);
  while (m.in_flight_count() > 0) m.emit_oldest();
  unsigned char trailer[8];
  put_le32(trailer, static_cast<std::uint32_t>(m.crc));
  put_le32(trailer + 4, static_cast<std::uint32_t>(m.total_in & 0xffffffffu));
  m.out(trailer, sizeof trailer);
  m.failed = false;
  m.finished = true;
}

}  // namespace kiln::layer
