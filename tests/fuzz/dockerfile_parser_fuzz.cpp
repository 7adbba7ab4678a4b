// libFuzzer target for the Dockerfile parser (lib/dockerfile/parser.h). The
// input is a whole Dockerfile. A kiln::Error is the expected answer to bad
// input; any other exception, a crash, a leak or UB is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/error.h"
#include "dockerfile/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    kiln::dockerfile::parse(text, "Dockerfile");
  } catch (const kiln::Error&) {
  }
  return 0;
}
