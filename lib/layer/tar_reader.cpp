#include "layer/tar_reader.h"

#include "base/error.h"

namespace kiln::layer {

TarReader::TarReader(const ReadFn& read) : read_(read), buf_(256 * 1024) {
  ar_ = archive_read_new();
  if (!ar_) throw Error("libarchive: out of memory");
  archive_read_support_filter_gzip(ar_);
  archive_read_support_filter_zstd(ar_);
  archive_read_support_format_tar(ar_);
  if (archive_read_open(ar_, this, nullptr, &TarReader::on_read, nullptr) != ARCHIVE_OK) {
    // The destructor does not run for a throwing constructor: free here.
    try {
      fail("opening layer stream");
    } catch (...) {
      archive_read_free(ar_);
      ar_ = nullptr;
      throw;
    }
  }
}

TarReader::~TarReader() {
  if (ar_) archive_read_free(ar_);
}

la_ssize_t TarReader::on_read(struct archive* a, void* self, const void** buf) {
  auto* r = static_cast<TarReader*>(self);
  try {
    std::size_t n = r->read_(r->buf_.data(), r->buf_.size());
    *buf = r->buf_.data();
    return static_cast<la_ssize_t>(n);
  } catch (...) {
    // Exceptions must not cross libarchive's C frames: park it and rethrow
    // once libarchive has returned its failure.
    r->source_error_ = std::current_exception();
    archive_set_error(a, EIO, "layer source failed");
    return -1;
  }
}

void TarReader::fail(const std::string& what) {
  if (source_error_) std::rethrow_exception(source_error_);
  const char* s = archive_error_string(ar_);
  throw Error("layer tar: " + what + ": " + (s ? s : "unknown error"));
}

archive_entry* TarReader::next() {
  archive_entry* e = nullptr;
  int rc = archive_read_next_header(ar_, &e);
  if (rc == ARCHIVE_EOF) return nullptr;
  if (rc == ARCHIVE_OK || rc == ARCHIVE_WARN) {
    const char* name = archive_entry_pathname(e);
    entry_ = name ? name : "";
    return e;
  }
  fail(entry_.empty() ? std::string("reading the first header") : "reading the header after entry '" + entry_ + "'");
}

bool TarReader::data_block(const void** buf, std::size_t* size, std::int64_t* offset) {
  la_int64_t off = 0;
  int rc = archive_read_data_block(ar_, buf, size, &off);
  if (rc == ARCHIVE_EOF) return false;
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) fail("reading the data of entry '" + entry_ + "'");
  *offset = off;
  return true;
}

}  // namespace kiln::layer
