#include "layer/pipe.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "base/error.h"
#include "digest/sha256.h"

namespace kiln::layer {
namespace {

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131) % 256);
  return s;
}

TEST(BytePipe, TransfersEverythingInOrderAcrossThreads) {
  BytePipe pipe(1000);  // far smaller than the data: forces blocking both ways
  std::string data = pattern(3 * 1000 * 1000 + 3);
  std::thread producer([&] {
    std::size_t pos = 0, step = 1;
    while (pos < data.size()) {
      std::size_t n = std::min(step, data.size() - pos);
      pipe.write(data.data() + pos, n);
      pos += n;
      step = step * 3 % 4099 + 1;
    }
    pipe.close();
  });
  std::string got;
  char buf[333];
  while (std::size_t n = pipe.read(buf, sizeof buf)) got.append(buf, n);
  producer.join();
  EXPECT_EQ(got.size(), data.size());
  EXPECT_EQ(digest::sha256_hex(got), digest::sha256_hex(data));
  EXPECT_EQ(pipe.read(buf, sizeof buf), 0u);  // EOF stays EOF
}

TEST(BytePipe, ProducerFailureReachesReader) {
  BytePipe pipe(64);
  std::thread producer([&] {
    pipe.write("abc", 3);
    pipe.fail(std::make_exception_ptr(IoError("registry: connection reset for sha256:abc")));
  });
  producer.join();
  char buf[16];
  try {
    pipe.read(buf, sizeof buf);
    FAIL() << "expected the producer's error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("connection reset"), std::string::npos);
  }
}

TEST(BytePipe, ReaderAbortUnblocksAndFailsProducer) {
  BytePipe pipe(16);
  std::exception_ptr seen;
  std::thread producer([&] {
    try {
      std::string chunk(1024, 'x');
      for (;;) pipe.write(chunk.data(), chunk.size());  // blocks: nobody reads
    } catch (...) {
      seen = std::current_exception();
    }
  });
  char buf[4];
  EXPECT_EQ(pipe.read(buf, sizeof buf), 4u);
  pipe.abort();
  producer.join();
  ASSERT_TRUE(seen);
  EXPECT_THROW(std::rethrow_exception(seen), Error);
}

TEST(BytePipe, WriteAfterCloseThrows) {
  BytePipe pipe;
  pipe.close();
  EXPECT_THROW(pipe.write("x", 1), Error);
}

}  // namespace
}  // namespace kiln::layer

#include "layer/stream_extract.h"
#include "layer_test_util.h"

namespace kiln::layer {
namespace {

using namespace testing;

// A producer that pushes a layer in pieces, as libcurl's callback would.
void produce(BytePipe& pipe, const std::string& bytes, std::exception_ptr* failure) {
  try {
    for (std::size_t pos = 0; pos < bytes.size(); pos += 1000)
      pipe.write(bytes.data() + pos, std::min<std::size_t>(1000, bytes.size() - pos));
    pipe.write(std::string(50000, '\0').data(), 50000);  // trailing padding past the tar's end
    pipe.close();
  } catch (...) {
    *failure = std::current_exception();
  }
}

TEST(StreamExtract, LayerArrivesThroughThePipe) {
  TempDir tmp;
  std::vector<TarEntry> es;
  for (int i = 0; i < 200; ++i) es.push_back({"d/f" + std::to_string(i), 'f', std::string(i * 100, 'a' + i % 26)});
  std::string layer = make_tar(es, Wrap::Gzip);
  BytePipe pipe(4096);
  std::exception_ptr failure;
  std::thread producer(produce, std::ref(pipe), std::cref(layer), &failure);
  auto stats = extract_from_pipe(pipe, tmp.path(), {});
  producer.join();
  EXPECT_FALSE(failure);
  EXPECT_EQ(stats.entries, 200);
  EXPECT_EQ(read_file(tmp.path() / "d/f199"), std::string(19900, 'a' + 199 % 26));
}

TEST(StreamExtract, ExtractionFailureStopsTheProducer) {
  TempDir tmp;
  std::vector<TarEntry> es = {{"../escape", 'f', "x"}};
  for (int i = 0; i < 100; ++i) es.push_back({"f" + std::to_string(i), 'f', std::string(100000, 'x')});
  std::string layer = make_tar(es);  // uncompressed: far bigger than the pipe
  BytePipe pipe(4096);
  std::exception_ptr failure;
  std::thread producer(produce, std::ref(pipe), std::cref(layer), &failure);
  EXPECT_THROW(extract_from_pipe(pipe, tmp.path(), {}), Error);
  producer.join();  // would hang here if the producer were not released
  EXPECT_TRUE(failure);
  EXPECT_FALSE(fs::exists(tmp.path().parent_path() / "escape"));
}

}  // namespace
}  // namespace kiln::layer
