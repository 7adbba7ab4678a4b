#include "steps/workdir_step.h"

#include "fs/passwd.h"
#include "fs/resolve.h"

namespace kiln::steps {

bool make_workdir(const std::filesystem::path& root, const std::string& working_dir, const std::string& user) {
  if (working_dir.empty()) return false;
  std::error_code ec;
  if (std::filesystem::exists(fs::resolve_in_root(root, working_dir, true), ec)) return false;
  fs::Owner o;
  if (!user.empty()) o = fs::load_chown(root, user);
  fs::mkdir_all(root, working_dir, o.uid, o.gid, 0755);
  return true;
}

}  // namespace kiln::steps
