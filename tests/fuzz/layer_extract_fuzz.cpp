// libFuzzer target for layer extraction (layer/extractor.h). Input: a layer
// blob (gzip, zstd or plain tar, as a registry would serve it). Each input is
// applied to a fresh scratch root that sits next to a sentinel file and holds
// an ignored /kaniko with a known executor, the way the executor applies a
// base image. A kiln::Error is the expected answer to a bad layer. Findings:
// crashes, leaks, UB, any other exception, and (__builtin_trap) anything
// written outside the root or into /kaniko: the scratch directory must then
// hold exactly root/ and the untouched sentinel, /kaniko exactly its file.
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "layer/extractor.h"

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kSentinel = "outside the root";
constexpr std::string_view kExecutor = "the real executor";

void put(const fs::path& p, std::string_view content) {
  std::ofstream(p, std::ios::binary) << content;
}

std::string get(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Names in dir (no "." or ".."), sorted; lstat-based so links are not followed.
std::string listing(const fs::path& dir) {
  std::string out;
  std::error_code ec;
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  for (auto& n : names) out += n + "\n";
  return out;
}

bool is_plain_file(const fs::path& p, std::string_view content) {
  struct stat st {};
  return ::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 && get(p) == content;
}

bool ignored_kaniko(std::string_view p) { return p == "/kaniko" || p.rfind("/kaniko/", 0) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path base = [] {
    const char* t = std::getenv("TMPDIR");
    return fs::path(t && *t ? t : "/tmp");
  }();
  std::string tmpl = (base / "kiln-fuzz-extract.XXXXXX").string();
  if (!::mkdtemp(tmpl.data())) std::abort();
  const fs::path scratch = tmpl;
  const fs::path root = scratch / "root";
  fs::create_directories(root / "kaniko");
  put(scratch / "sentinel", kSentinel);
  put(root / "kaniko/executor", kExecutor);

  std::size_t off = 0;
  auto read = [&](char* buf, std::size_t max) {
    std::size_t n = std::min(max, size - off);
    std::memcpy(buf, data + off, n);
    off += n;
    return n;
  };
  kiln::layer::ExtractOptions opts;
  opts.ignored = ignored_kaniko;
  opts.chown = ::geteuid() == 0;
  try {
    kiln::layer::extract(read, root, opts);
  } catch (const kiln::Error&) {
  }

  if (listing(scratch) != "root\nsentinel\n") __builtin_trap();
  if (!is_plain_file(scratch / "sentinel", kSentinel)) __builtin_trap();
  struct stat st {};
  if (::lstat((root / "kaniko").c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) __builtin_trap();
  if (listing(root / "kaniko") != "executor\n") __builtin_trap();
  if (!is_plain_file(root / "kaniko/executor", kExecutor)) __builtin_trap();

  std::error_code ec;
  fs::remove_all(scratch, ec);
  if (ec) std::abort();  // a root the layer made undeletable would fill the disk
  return 0;
}
