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

// A failure whose exit code the executor passes on: a RUN command's own, as
// kaniko does (CI scripts branch on `RUN exit 42` making the executor exit 42).
class ExitCodeError : public Error {
 public:
  ExitCodeError(const std::string& what, int code) : Error(what), code_(code) {}
  int exit_code() const { return code_; }

 private:
  int code_;
};

}  // namespace kiln
