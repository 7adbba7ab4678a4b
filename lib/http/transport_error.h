#pragma once
// A request that got no HTTP answer at all (refused, reset, timed out, TLS
// failure). Callers retry these; an HTTP status, even 500, is not one.
#include "base/error.h"

namespace kiln::http {

class TransportError : public IoError {
 public:
  TransportError(const std::string& what, int curl_code) : IoError(what), curl_code_(curl_code) {}
  int curl_code() const { return curl_code_; }

 private:
  int curl_code_;
};

}  // namespace kiln::http
