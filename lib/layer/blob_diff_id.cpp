#include "layer/blob_diff_id.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

#include "base/error.h"
#include "digest/sha256.h"

namespace kiln::layer {

std::string blob_diff_id(const std::filesystem::path& blob) {
  std::unique_ptr<struct archive, int (*)(struct archive*)> ar(archive_read_new(), archive_read_free);
  if (!ar) throw IoError("libarchive: out of memory");
  // The raw format hands back the filter's output as one entry: exactly the
  // uncompressed stream, whatever it contains.
  archive_read_support_filter_gzip(ar.get());
  archive_read_support_filter_zstd(ar.get());
  archive_read_support_format_raw(ar.get());
  auto fail = [&](const std::string& what) -> IoError {
    const char* msg = archive_error_string(ar.get());
    return IoError(what + " " + blob.string() + ": " + (msg ? msg : "unknown error"));
  };
  if (archive_read_open_filename(ar.get(), blob.c_str(), 256 * 1024) != ARCHIVE_OK) throw fail("opening layer");
  archive_entry* e = nullptr;
  digest::Sha256 h;
  int r = archive_read_next_header(ar.get(), &e);
  if (r == ARCHIVE_OK) {
    const void* buf;
    std::size_t size;
    la_int64_t offset;
    while ((r = archive_read_data_block(ar.get(), &buf, &size, &offset)) == ARCHIVE_OK) h.update(buf, size);
    if (r != ARCHIVE_EOF) throw fail("decompressing layer");
  } else if (r != ARCHIVE_EOF) {
    throw fail("reading layer");
  }
  return "sha256:" + h.hex_final();
}

}  // namespace kiln::layer
