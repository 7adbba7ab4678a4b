#pragma once
// kaniko's digest files: --digest-file (the manifest digest),
// --image-name-with-digest-file (REPO@DIGEST per destination) and
// --image-name-tag-with-digest-file (REPO:TAG@DIGEST per destination).
// Written by a build and by `executor push`.
#include <string>
#include <vector>

#include "registry/reference.h"

namespace kiln::engine {

struct DigestFiles {
  std::string digest_file;
  std::string image_name_digest_file;
  std::string image_name_tag_digest_file;
};

// Writes each file that is named, creating parent directories as kaniko
// does. Throws kiln::IoError naming the file.
void write_digest_files(const DigestFiles& files, const std::vector<registry::Reference>& dests,
                        const std::string& digest);

}  // namespace kiln::engine
