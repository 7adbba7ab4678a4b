#include "layer/layer_from_changes.h"

#include <algorithm>
#include <string>
#include <vector>

namespace kiln::layer {

layer::Result write_layer(const std::filesystem::path& root, const fs::Changes& changes,
                          const std::filesystem::path& out_file, const LayerSettings& settings) {
  // One sorted sequence of (path, is_whiteout). Byte order of paths is the
  // order tar readers and other builders use; a parent sorts before its
  // children because it is a prefix of them.
  std::vector<std::pair<std::string_view, bool>> entries;
  entries.reserve(changes.added_or_modified.size() + changes.deleted.size());
  for (const auto& p : changes.added_or_modified) entries.emplace_back(p, false);
  for (const auto& p : changes.deleted) entries.emplace_back(p, true);
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    // Compare with '/' sorting lowest so "a/b" comes right after "a" and before "a-b".
    auto x = a.first, y = b.first;
    std::size_t n = std::min(x.size(), y.size());
    for (std::size_t i = 0; i < n; ++i) {
      if (x[i] == y[i]) continue;
      if (x[i] == '/') return true;
      if (y[i] == '/') return false;
      return static_cast<unsigned char>(x[i]) < static_cast<unsigned char>(y[i]);
    }
    return x.size() < y.size();
  });
  layer::Writer w(out_file, settings.compression, settings.level, settings.fixed_mtime);
  for (const auto& [path, whiteout] : entries) {
    if (whiteout)
      w.add_whiteout(path);
    else
      w.add_path(root, path);
  }
  return w.finish();
}

}  // namespace kiln::layer
