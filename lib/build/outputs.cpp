#include "build/outputs.h"

#include <cstdio>
#include <fstream>
#include <memory>

#include "base/error.h"
#include "digest/digest.h"
#include "image/docker_archive.h"
#include "image/manifest.h"
#include "image/media_types.h"
#include "image/oci_layout.h"

namespace kiln::build {
namespace fsys = std::filesystem;

namespace {

std::string convert_layer_type(const std::string& t, image::ManifestFormat f) {
  using namespace image::media;
  if (f == image::ManifestFormat::Oci) {
    if (t == kDockerLayerGzip) return std::string(kOciLayerGzip);
    if (t == kDockerForeignLayerGzip) return std::string(kOciLayerGzip);
  } else {
    if (t == kOciLayerGzip) return std::string(kDockerLayerGzip);
  }
  return t;
}

class FileSource : public registry::BlobSource {
 public:
  explicit FileSource(const fsys::path& p) : f_(std::fopen(p.c_str(), "rb")), path_(p) {
    if (!f_) throw IoError("opening layer blob " + p.string());
  }
  ~FileSource() override { std::fclose(f_); }
  std::size_t read(char* buf, std::size_t n) override {
    std::size_t got = std::fread(buf, 1, n, f_);
    if (got == 0 && std::ferror(f_)) throw IoError("reading " + path_.string());
    return got;
  }

 private:
  std::FILE* f_;
  fsys::path path_;
};

class StringSource : public registry::BlobSource {
 public:
  explicit StringSource(const std::string& s) : s_(s) {}
  std::size_t read(char* buf, std::size_t n) override {
    std::size_t k = std::min(n, s_.size() - pos_);
    std::copy_n(s_.data() + pos_, k, buf);
    pos_ += k;
    return k;
  }

 private:
  const std::string& s_;
  std::size_t pos_ = 0;
};

// Output files may name directories that do not exist yet (kaniko creates them).
void make_parent(const std::string& path) {
  std::error_code ec;
  fsys::path parent = fsys::path(path).parent_path();
  if (!parent.empty()) fsys::create_directories(parent, ec);
  if (ec) throw IoError("creating directory " + parent.string() + ": " + ec.message());
}

void write_text(const std::string& path, const std::string& text) {
  make_parent(path);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw IoError("writing " + path);
}

}  // namespace

image::ImageBlobs assemble(const ImageState& img, image::ManifestFormat format,
                           const std::map<std::string, std::string>& annotations) {
  image::ImageBlobs b;
  b.config_json = img.config.dump();
  image::Descriptor cfg;
  cfg.digest = digest::sha256_of(b.config_json).str();
  cfg.size = static_cast<std::int64_t>(b.config_json.size());
  std::vector<image::Descriptor> layers;
  for (const auto& l : img.layers) {
    image::Descriptor d = l.descriptor;
    d.media_type = convert_layer_type(d.media_type, format);
    layers.push_back(d);
    b.layers.push_back({d, l.file});
  }
  auto m = image::make_manifest(format, cfg, layers, annotations);
  b.manifest_json = image::to_json(m);
  b.manifest_media_type = std::string(format == image::ManifestFormat::Oci ? image::media::kOciManifest
                                                                            : image::media::kDockerManifest);
  return b;
}

OutputResult write_outputs(const ImageState& img, const cli::ExecutorOptions& opts, registry::Client& client,
                           log::Logger& log) {
  image::ManifestFormat format = img.format;
  if (opts.image_format == "oci") format = image::ManifestFormat::Oci;
  if (opts.image_format == "docker") format = image::ManifestFormat::Docker;
  std::map<std::string, std::string> annotations;
  for (const auto& a : opts.annotations) {
    auto eq = a.find('=');
    annotations[a.substr(0, eq)] = a.substr(eq + 1);
  }
  if (!annotations.empty()) format = image::ManifestFormat::Oci;  // Docker schema 2 has no annotations
  image::ImageBlobs blobs = assemble(img, format, annotations);
  OutputResult out;
  out.digest = digest::sha256_of(blobs.manifest_json).str();

  std::vector<registry::Reference> dests;
  for (const auto& d : opts.destinations) dests.push_back(registry::parse_reference(d));

  if (!opts.no_push) {
    image::Descriptor cfg;
    cfg.digest = digest::sha256_of(blobs.config_json).str();
    cfg.size = static_cast<std::int64_t>(blobs.config_json.size());
    cfg.media_type = format == image::ManifestFormat::Oci ? std::string(image::media::kOciConfig)
                                                          : std::string(image::media::kDockerConfig);
    // Three phases so that no destination gets a tag while another one is
    // still missing blobs: upload everywhere, confirm everywhere, then tag.
    for (const auto& dest : dests) {
      for (std::size_t i = 0; i < img.layers.size(); ++i) {
        const Layer& l = img.layers[i];
        const image::Descriptor& d = blobs.layers[i].descriptor;
        std::vector<registry::Reference> mounts;
        if (l.source) mounts.push_back(*l.source);
        if (l.file.empty()) throw Error("layer " + d.digest + " has no local copy to push to " + dest.repo_str());
        client.push_blob(dest, d, [&l] { return std::make_unique<FileSource>(l.file); }, mounts);
      }
      client.push_blob(dest, cfg, [&blobs] { return std::make_unique<StringSource>(blobs.config_json); });
    }
    for (const auto& dest : dests) {
      for (const auto& lb : blobs.layers)
        if (!client.blob_exists(dest, lb.descriptor.digest))
          throw IoError("pushing " + dest.str() + ": the registry does not have layer " + lb.descriptor.digest +
                        " after upload; no tag was written");
      if (!client.blob_exists(dest, cfg.digest))
        throw IoError("pushing " + dest.str() + ": the registry does not have the config after upload; no tag was written");
    }
    for (const auto& dest : dests) {
      std::string got = client.put_manifest(dest, blobs.manifest_media_type, blobs.manifest_json);
      log.info("Pushed " + dest.repo_str() + "@" + got);
    }
  } else {
    log.info("Skipping push to container registry due to --no-push flag");
  }

  if (!opts.tar_path.empty()) {
    make_parent(opts.tar_path);
    image::write_docker_archive(opts.tar_path, blobs.config_json, blobs.layers, opts.destinations);
    log.info("Wrote image tarball " + opts.tar_path);
  }
  if (!opts.oci_layout_path.empty()) {
    std::optional<std::string> tag;
    if (!dests.empty() && !dests[0].tag.empty()) tag = dests[0].tag;
    // An OCI layout is read by OCI tools (skopeo's oci: transport, umoci),
    // which only look for OCI media types in index.json: write the image in
    // OCI form there whatever the pushed format is.
    if (format == image::ManifestFormat::Oci)
      image::write_oci_image(opts.oci_layout_path, blobs, tag);
    else
      image::write_oci_image(opts.oci_layout_path, assemble(img, image::ManifestFormat::Oci, annotations), tag);
    log.info("Wrote OCI layout " + opts.oci_layout_path);
  }
  if (!opts.digest_file.empty()) write_text(opts.digest_file, out.digest);
  if (!opts.image_name_digest_file.empty()) {
    std::string text;
    for (const auto& d : dests) text += d.repo_str() + "@" + out.digest + "\n";
    write_text(opts.image_name_digest_file, text);
  }
  if (!opts.image_name_tag_digest_file.empty()) {
    std::string text;
    for (const auto& d : dests) text += d.repo_str() + ":" + d.tag + "@" + out.digest + "\n";
    write_text(opts.image_name_tag_digest_file, text);
  }
  return out;
}

}  // namespace kiln::build
