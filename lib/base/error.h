#pragma once
// kiln reports failures as exceptions that carry what was being done and to
// what, so the top level prints one line naming the thing at fault. Nothing
// below main() calls exit().
#include <stdexcept>
#include <string>

namespace kiln {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Input the user supplied is wrong (flags, Dockerfile, context): exit code 1,
// no retry makes sense.
class UsageError : public Error {
 public:
  using Error::Error;
};

// Something refused or failed on the network or the filesystem.
class IoError : public Error {
 public:
  using Error::Error;
};

}  // namespace kiln
