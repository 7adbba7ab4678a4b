#pragma once
// An image saved to disk earlier (`executor --no-push --tar-path` or
// `--oci-layout-path`), opened for `executor push`: the manifest to push and
// where each blob's bytes are. Nothing is trusted: every blob is checked
// against the digest it is pushed under, by verify_blobs() up front and
// again by BlobReader while it is uploaded.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "digest/sha256.h"
#include "image/descriptor.h"
#include "image/manifest.h"

namespace kiln::image {

// The bytes [offset, offset + descriptor.size) of file.
struct StoredBlob {
  Descriptor descriptor;
  std::filesystem::path file;
  std::uint64_t offset = 0;
};

struct SavedImage {
  std::string origin;  // "docker archive app.tar", for messages
  std::string manifest_media_type;
  std::string manifest_json;  // exact bytes to push
  StoredBlob config;
  std::vector<StoredBlob> layers;
};

// A docker-archive tarball (docker save / kaniko --tar-path): manifest.json's
// single entry, the config, the layers. The manifest is made here: Docker
// schema 2 unless `format` says OCI or a layer needs OCI (zstd,
// uncompressed). Layer compression is read from the data, not the name. A
// layer's digest is taken from its file name (<hex>.tar.gz, blobs/sha256/<hex>)
// or, for an uncompressed layer, from the config's diff_ids. Throws
// kiln::Error naming the archive and the member at fault.
SavedImage read_docker_archive(const std::filesystem::path& tar, std::optional<ManifestFormat> format);

// An OCI image layout: the manifest tagged `tag` in index.json, or the only
// one when no tag is given. Its bytes are pushed unchanged (same digest).
SavedImage read_oci_layout(const std::filesystem::path& dir, const std::optional<std::string>& tag);

// A directory is an OCI layout ("DIR" or "DIR:TAG"), a file a docker archive.
SavedImage open_saved_image(const std::string& arg, std::optional<ManifestFormat> format);

// Streams one blob and checks size and SHA-256 when the last byte has been
// read: read() throws kiln::Error naming the blob and file on a mismatch, so
// an upload fed from it fails before the registry is told the upload is
// complete.
class BlobReader {
 public:
  BlobReader(const StoredBlob& blob, std::string origin);
  ~BlobReader();
  BlobReader(const BlobReader&) = delete;
  BlobReader& operator=(const BlobReader&) = delete;
  std::size_t read(char* buf, std::size_t n);

 private:
  StoredBlob blob_;
  std::string origin_;
  std::FILE* f_ = nullptr;
  std::uint64_t left_;
  std::unique_ptr<digest::Sha256> sha_;
  bool checked_ = false;
};

// Reads every blob of img once through BlobReader. Throws on the first bad one.
void verify_blobs(const SavedImage& img);

}  // namespace kiln::image
