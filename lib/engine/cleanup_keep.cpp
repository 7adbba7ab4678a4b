#include "engine/cleanup_keep.h"

#include <algorithm>

#include "fs/ignore_list.h"

namespace kiln::engine {
namespace fsys = std::filesystem;

namespace {

// Host path -> in-image path, or "" when it is not below the root.
std::string in_image(const fsys::path& root, const fsys::path& cwd, const std::string& flag) {
  if (flag.empty()) return "";
  fsys::path p = fsys::path(flag).is_absolute() ? fsys::path(flag) : cwd / flag;
  std::string host = fs::clean_abs(p.string());
  std::string r = fs::clean_abs(root.string());
  if (r == "/") return host == "/" ? "" : host;
  if (host.size() <= r.size() || host.compare(0, r.size(), r) != 0 || host[r.size()] != '/') return "";
  return host.substr(r.size());
}

}  // namespace

std::vector<std::string> tls_files(const registry::Options& o) {
  std::vector<std::string> out{o.ca_file, o.ca_dir};
  for (const auto& [reg, file] : o.registry_ca) out.push_back(file);
  for (const auto& [reg, pair] : o.registry_client_cert) {
    out.push_back(pair.first);
    out.push_back(pair.second);
  }
  return out;
}

std::vector<std::string> cleanup_keep_paths(const CleanupInputs& in) {
  std::vector<std::string> flags{in.context_dir.string(), in.cache_dir};
  for (const auto& [id, secret] : in.secrets) flags.push_back(secret.file);
  flags.insert(flags.end(), in.tls_files.begin(), in.tls_files.end());
  std::vector<std::string> out;
  for (const auto& f : flags) {
    std::string p = in_image(in.root, in.cwd, f);
    if (!p.empty() && std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  }
  return out;
}

}  // namespace kiln::engine
