#include "proc/foreign_exec.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "image/platform.h"
#include "proc/probe_program.h"
#include "proc/process.h"

namespace kiln::proc {
namespace fsys = std::filesystem;

namespace {

std::string how_to_register(const image::Platform& p) {
  return "RUN steps for " + p.str() + " need this host to run " + p.str() +
         " programs, and it cannot. Register an emulator with binfmt_misc and its F (fix-binary) flag on the "
         "host the build runs on (the registration is the kernel's, so it serves containers too): on Debian or "
         "Ubuntu `apt-get install qemu-user-static binfmt-support`, or `docker run --privileged --rm "
         "tonistiigi/binfmt --install " + image::normalize(p).architecture + "`";
}

void write_program(const fsys::path& file, const std::string& bytes) {
  fsys::remove(file);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
  if (fd < 0) throw SystemError("creating " + file.string(), errno);
  bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size());
  int err = errno;
  ::close(fd);
  if (!ok) throw SystemError("writing " + file.string(), err);
}

}  // namespace

void check_can_run(const image::Platform& platform, const fsys::path& dir, log::Logger& log) {
  if (image::same_platform(platform, image::native_platform())) return;
  auto program = probe_program(platform);
  if (!program) {
    log.warn("Cannot check before the build whether this host runs " + platform.str() +
             " programs (kiln has no test program for it); its RUN steps will tell");
    return;
  }
  fsys::create_directories(dir);
  fsys::path file = dir / ("can-run-" + image::normalize(platform).architecture);
  write_program(file, *program);
  ProcessSpec spec;
  spec.argv = {file.string()};
  int status = -1;
  try {
    status = run_process(spec, log);
  } catch (const Error& e) {
    fsys::remove(file);
    throw Error(how_to_register(platform) + " (" + e.what() + ")");
  }
  fsys::remove(file);
  if (status != kProbeExitStatus)
    throw Error(how_to_register(platform) + " (a " + platform.str() + " test program exited with status " +
                std::to_string(status) + ", not " + std::to_string(kProbeExitStatus) + ")");
  log.debug("This host runs " + platform.str() + " programs");
}

}  // namespace kiln::proc
