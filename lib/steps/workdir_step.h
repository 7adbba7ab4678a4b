#pragma once
// WORKDIR's effect on the root: the directory is created when missing, owned
// by the USER in effect, resolved as BuildKit resolves --chown (USER 1000
// gives 1000:1000). The config change is config_update.h's.
#include <filesystem>
#include <string>

namespace kiln::steps {

// working_dir: the step's (absolute, expanded). user: the USER in effect,
// "" for root. Returns true when it created the directory.
bool make_workdir(const std::filesystem::path& root, const std::string& working_dir, const std::string& user);

}  // namespace kiln::steps
