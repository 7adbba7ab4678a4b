#include "layer/blob_diff_id.h"

#include <cstdio>
#include <memory>
#include <vector>

#include "base/error.h"

namespace kiln::layer {

DiffIdStream::DiffIdStream(std::string what)
    : plain_([this](const char* p, std::size_t n) { hash_.update(p, n); }, std::move(what)) {}

std::string DiffIdStream::finish() {
  plain_.finish();
  return "sha256:" + hash_.hex_final();
}

std::string blob_diff_id(const std::filesystem::path& blob) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(blob.c_str(), "rb"), std::fclose);
  if (!f) throw IoError("opening layer " + blob.string());
  DiffIdStream ids("layer " + blob.string());
  std::vector<char> buf(1 << 20);
  for (;;) {
    std::size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    if (n > 0) ids.write(buf.data(), n);
    if (n < buf.size()) {
      if (std::ferror(f.get())) throw IoError("reading layer " + blob.string());
      break;
    }
  }
  return ids.finish();
}

}  // namespace kiln::layer
