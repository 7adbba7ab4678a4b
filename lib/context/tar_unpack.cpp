#include "context/tar_unpack.h"

#include <unistd.h>

#include <string>

#include "base/error.h"

namespace kiln::context {

layer::ExtractStats unpack_tar(const std::function<std::size_t(char*, std::size_t)>& read,
                               const std::filesystem::path& dest, std::string_view what, log::Logger& log) {
  std::filesystem::create_directories(dest);
  layer::ExtractOptions eo;
  eo.ignored = [](std::string_view) { return false; };
  eo.chown = geteuid() == 0;
  eo.logger = &log;
  try {
    auto st = layer::extract(read, dest, eo);
    log.info("Unpacked " + std::string(what) + ": " + std::to_string(st.entries) + " entries");
    return st;
  } catch (const std::exception& e) {
    throw Error("context " + std::string(what) + ": " + e.what());
  }
}

}  // namespace kiln::context
