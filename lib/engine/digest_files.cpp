#include "engine/digest_files.h"

#include <filesystem>
#include <fstream>

#include "base/error.h"

namespace kiln::engine {
namespace {

void write_text(const std::string& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) throw IoError("creating directory " + parent.string() + ": " + ec.message());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw IoError("writing " + path);
}

}  // namespace

void write_digest_files(const DigestFiles& files, const std::vector<registry::Reference>& dests,
                        const std::string& digest) {
  if (!files.digest_file.empty()) write_text(files.digest_file, digest);
  if (!files.image_name_digest_file.empty()) {
    std::string text;
    for (const auto& d : dests) text += d.repo_str() + "@" + digest + "\n";
    write_text(files.image_name_digest_file, text);
  }
  if (!files.image_name_tag_digest_file.empty()) {
    std::string text;
    for (const auto& d : dests) text += d.repo_str() + ":" + d.tag + "@" + digest + "\n";
    write_text(files.image_name_tag_digest_file, text);
  }
}

}  // namespace kiln::engine
