#pragma once
// Where each regular file of an uncompressed tar lives (offset and size), so
// `executor push` can stream a docker-archive's blobs straight out of it
// without unpacking. Reads only the 512-byte headers (ustar with prefix,
// GNU long names and base-256 sizes, pax path/size records).
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::image {

struct TarMember {
  std::uint64_t offset = 0;  // of the first data byte
  std::uint64_t size = 0;
};

struct TarHeader {
  std::string name;  // ustar prefix + "/" + name, "./" stripped
  char type = '0';
  std::uint64_t size = 0;
};

// One header block. nullopt for an all-zero block (end of archive). Throws
// kiln::Error when the checksum or the size field is invalid.
std::optional<TarHeader> parse_tar_header(std::string_view block);

// Records of a pax extended header ("<len> key=value\n"...): path and size.
// Throws kiln::Error on a malformed record.
void apply_pax_records(std::string_view data, TarHeader& next);

// Regular files by name (a later member of the same name wins, as tar
// extraction would). Throws kiln::Error naming the file when it is not a tar
// (or is compressed) or is truncated.
std::map<std::string, TarMember> index_tar(const std::filesystem::path& tar);

}  // namespace kiln::image
