#pragma once
// Builds a small real image on disk for the output tests: one gzip layer made
// by the system tar, its digests computed independently of kiln's writer.
#include "support/temp_dir.h"
#include <stdio.h>
#include <stdlib.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "digest/sha256.h"
#include "image/config.h"
#include "image/image_blobs.h"
#include "image/manifest.h"
#include "image/media_types.h"

namespace kiln::image::testing {

namespace fs = std::filesystem;

// The shared helper, named for this suite's temp directories.
class TempDir : public kiln::testing::TempDir {
 public:
  TempDir() : kiln::testing::TempDir("kiln-image") {}
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CmdResult {
  int status;
  std::string output;
};

// Runs a shell command, capturing stdout and stderr.
inline CmdResult run(const std::string& cmd) {
  CmdResult r{0, {}};
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return {-1, "popen failed"};
  std::array<char, 4096> buf;
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p)) r.output.append(buf.data(), n);
  r.status = ::pclose(p);
  return r;
}

struct TestImage {
  ImageBlobs blobs;
  std::string diff_id;
};

// One layer holding hello.txt = `content`, with an OCI or Docker manifest.
inline TestImage make_image(const fs::path& work, const std::string& content, ManifestFormat format) {
  fs::path tree = work / ("tree-" + std::to_string(std::hash<std::string>{}(content)));
  fs::create_directories(tree / "etc");
  std::ofstream(tree / "hello.txt") << content;
  std::ofstream(tree / "etc/os-release") << "ID=kiln-test\n";
  fs::path layer = work / (tree.filename().string() + ".tar.gz");
  CmdResult t = run("tar -C " + tree.string() + " --sort=name --owner=0 --group=0 --mtime=@0 -cf - . | gzip -n > " +
              layer.string());
  if (t.status != 0) throw std::runtime_error("tar failed: " + t.output);
  CmdResult u = run("gzip -dc " + layer.string() + " | sha256sum");
  TestImage img;
  img.diff_id = "sha256:" + u.output.substr(0, 64);

  bool oci = format == ManifestFormat::Oci;
  LayerBlob lb;
  lb.file = layer;
  lb.descriptor.media_type = oci ? media::kOciLayerGzip : media::kDockerLayerGzip;
  std::string bytes = slurp(layer);
  lb.descriptor.digest = "sha256:" + digest::sha256_hex(bytes);
  lb.descriptor.size = static_cast<std::int64_t>(bytes.size());

  Config cfg;
  cfg.set_created("2024-01-01T00:00:00Z");
  cfg.set_cmd(std::vector<std::string>{"/bin/sh"});
  cfg.add_diff_id(img.diff_id);
  cfg.add_history({"2024-01-01T00:00:00Z", "COPY hello.txt /", "", "", false});
  img.blobs.config_json = cfg.dump();

  Descriptor cd;
  cd.digest = "sha256:" + digest::sha256_hex(img.blobs.config_json);
  cd.size = static_cast<std::int64_t>(img.blobs.config_json.size());
  auto m = make_manifest(format, cd, {lb.descriptor});
  img.blobs.manifest_json = to_json(m);
  img.blobs.manifest_media_type = m.media_type;
  img.blobs.layers.push_back(lb);
  return img;
}

}  // namespace kiln::image::testing
