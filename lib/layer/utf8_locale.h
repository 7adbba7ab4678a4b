#pragma once
// libarchive converts names between the current locale's charset and the
// UTF-8 of PAX records. Under the "C" locale (what a container's executor
// runs with) every non-ASCII name fails that conversion and is written with a
// "hdrcharset=BINARY" record that GNU tar complains about. This switches the
// calling thread (uselocale, never the process) to C.UTF-8 for the scope of a
// libarchive call, so UTF-8 names are written as plain PAX paths.
#include <locale.h>

namespace kiln::layer {

// The C.UTF-8 locale object, made once per owner: newlocale per tar entry
// cost more than the entry itself on trees of many small files.
class Utf8Locale {
 public:
  Utf8Locale() : loc_(::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0))) {}
  ~Utf8Locale() {
    if (loc_) ::freelocale(loc_);
  }
  Utf8Locale(const Utf8Locale&) = delete;
  Utf8Locale& operator=(const Utf8Locale&) = delete;
  locale_t get() const { return loc_; }

 private:
  locale_t loc_;
};

// Switches the calling thread to `utf8` for one scope.
class ScopedUtf8Locale {
 public:
  explicit ScopedUtf8Locale(const Utf8Locale& utf8) {
    if (utf8.get()) {
      prev_ = ::uselocale(utf8.get());
      active_ = true;
    }
  }
  ~ScopedUtf8Locale() {
    if (active_) ::uselocale(prev_);
  }
  ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
  ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;

 private:
  locale_t prev_ = static_cast<locale_t>(0);
  bool active_ = false;
};

}  // namespace kiln::layer
