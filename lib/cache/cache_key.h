#pragma once
// A layer-cache key: SHA-256 over the key of the step before and the named
// fields that decide what a step writes. Fields are length-prefixed, so no
// two different field lists hash the same bytes ("ab","c" vs "a","bc").
#include <string>
#include <string_view>
#include <vector>

#include "digest/sha256.h"

namespace kiln::cache {

class CacheKey {
 public:
  // `previous`: the key of the step before, or the base image's digest for
  // the first step of a stage.
  explicit CacheKey(std::string_view previous);
  CacheKey& add(std::string_view name, std::string_view value);
  CacheKey& add(std::string_view name, const std::vector<std::string>& values);
  // 64 lowercase hex digits: a valid tag, so the key names the cache image.
  std::string hex();

 private:
  void field(std::string_view bytes);
  digest::Sha256 h_;
};

}  // namespace kiln::cache
