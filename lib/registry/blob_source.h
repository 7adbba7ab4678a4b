#pragma once
// Where the bytes of a blob being pushed come from. push_blob() opens a new
// source for every attempt, so a retry starts from byte 0.
#include <cstddef>

namespace kiln::registry {

class BlobSource {
 public:
  virtual ~BlobSource() = default;
  // Fills up to n bytes; returns 0 at the end. Throws on read errors.
  virtual std::size_t read(char* buf, std::size_t n) = 0;
};

}  // namespace kiln::registry
