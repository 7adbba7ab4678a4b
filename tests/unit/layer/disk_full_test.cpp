// Running out of disk while a layer is written. /dev/full answers every
// write with ENOSPC, like a filled-up /kaniko. The error must name the file
// and the cause, and nothing may crash afterwards: libarchive flushes once
// more when the writer is destroyed, after the failure (issue 8's disk-full
// case segfaulted the executor that way).
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "base/error.h"
#include "layer/compressing_sink.h"
#include "layer/parallel_gzip.h"
#include "layer/writer.h"
#include "layer_test_util.h"

namespace kiln::layer {
namespace {

using namespace testing;

std::string noise(std::size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

TEST(DiskFull, GzipStreamFailsCleanlyAndStaysFailed) {
  for (unsigned threads : {1u, 2u}) {
    std::size_t accepted = 0;
    ParallelGzip gz(
        [&](const void*, std::size_t n) {
          if (accepted + n > 100000) throw IoError("writing layer file /x: No space left on device");
          accepted += n;
        },
        6, threads);
    std::string in = noise(4 << 20);
    EXPECT_THROW(
        {
          for (std::size_t pos = 0; pos < in.size(); pos += 65536) gz.write(in.data() + pos, 65536);
          gz.finish();
        },
        IoError)
        << "threads=" << threads;
    // What libarchive does on close after the failure: more writes, a finish.
    EXPECT_THROW(gz.write(in.data(), 1000), Error);
    EXPECT_THROW(gz.finish(), Error);
  }
}

TEST(DiskFull, LayerWriterNamesThePathAndErrno) {
  TempDir tmp;
  write_file(tmp.path() / "root/big.bin", noise(3 << 20));
  for (Compression c : {Compression::Gzip, Compression::Zstd}) {
    try {
      Writer w("/dev/full", c);
      w.add_path(tmp.path() / "root", "big.bin");
      w.finish();
      ADD_FAILURE() << "writing to /dev/full succeeded";
    } catch (const Error& e) {
      std::string m = e.what();
      EXPECT_NE(m.find("/dev/full"), std::string::npos) << m;
      EXPECT_NE(m.find("No space left on device"), std::string::npos) << m;
    }
  }
}

}  // namespace
}  // namespace kiln::layer
