#pragma once
// libarchive converts names between the current locale's charset and the
// UTF-8 of PAX records. Under the "C" locale (what a container's executor
// runs with) every non-ASCII name fails that conversion and is written with a
// "hdrcharset=BINARY" record that GNU tar complains about. This switches the
// calling thread (uselocale, never the process) to C.UTF-8 for the scope of a
// libarchive call, so UTF-8 names are written as plain PAX paths.
#include <locale.h>

namespace kiln::layer {

class ScopedUtf8Locale {
 public:
  ScopedUtf8Locale() {
    loc_ = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    if (loc_) prev_ = ::uselocale(loc_);
  }
  ~ScopedUtf8Locale() {
    if (loc_) {
      ::uselocale(prev_);
      ::freelocale(loc_);
    }
  }
  ScopedUtf8Locale(const ScopedUtf8Locale&) = delete;
  ScopedUtf8Locale& operator=(const ScopedUtf8Locale&) = delete;

 private:
  locale_t loc_ = static_cast<locale_t>(0);
  locale_t prev_ = static_cast<locale_t>(0);
};

}  // namespace kiln::layer
