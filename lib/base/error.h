#pragma once
// kiln reports failures as exceptions that carry what was being done and to
// what, so the top level prints one line naming the thing at fault. Nothing
// below main() calls exit().
//
// Which type to throw:
//   UsageError   the user's input is wrong (a flag, the Dockerfile, the
//                context, a secret): fixing the input fixes the build.
//   SystemError  a system call failed; carries errno (code()).
//   IoError      a read, write or transfer failed without an errno (a short
//                file, a registry or object store that answered wrongly).
//   ExitCodeError a RUN command that failed with an exit status of its own.
//   Error        anything else (a damaged blob, a RUN ended by a signal).
//
// Exit codes: every one of these ends the process with 1 (executor/main.cpp,
// warmer/main.cpp, cmd/login_command.cpp, cmd/push_command.cpp), except an
// ExitCodeError, whose code 1..255 the executor exits with (as kaniko
// does), and a build stopped by signal N, which exits 128+N. The type also
// changes how a build's failure is printed: a UsageError as it is, any other
// error after "error building image: ". Retries look at the transport's own
// types (http::TransportError, registry::StatusError).
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace kiln {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

class UsageError : public Error {
 public:
  using Error::Error;
};

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

// "what: strerror(code)"; code() is the errno the call failed with.
class SystemError : public IoError {
 public:
  SystemError(const std::string& what, int code) : SystemError(code, what + ": " + std::strerror(code)) {}
  int code() const { return code_; }
  // The same errno under a message already written out (rethrow_with_context).
  static SystemError with_message(int code, const std::string& message) { return SystemError(code, message); }

 private:
  SystemError(int code, const std::string& message) : IoError(message), code_(code) {}
  int code_;
};

// Called inside a catch block: throws the exception being handled again,
// as the same kind (UsageError, SystemError with its errno, ExitCodeError
// with its code, IoError, else Error), with "context: " before its message. Subclasses become their
// kind (an http::TransportError an IoError). For adding what was being done where the failure
// happened deeper down ("warming alpine: ...").
[[noreturn]] void rethrow_with_context(const std::string& context);

}  // namespace kiln
