#include "layer/writer.h"

#include <gtest/gtest.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <cstring>
#include <map>

#include "base/error.h"
#include "digest/sha256.h"
#include "layer_test_util.h"

namespace kiln::layer {
namespace {

using namespace testing;

struct ReadEntry {
  std::string name;
  mode_t type = 0;
  mode_t perm = 0;
  std::int64_t uid = 0, gid = 0, mtime = 0, size = 0;
  bool atime_set = false, ctime_set = false;
  std::string uname, gname, symlink, hardlink, data;
  unsigned rmaj = 0, rmin = 0;
  std::map<std::string, std::string> xattrs;
};

// Reads a layer file back with libarchive (which undoes the compression).
std::vector<ReadEntry> read_layer(const fs::path& file) {
  std::vector<ReadEntry> out;
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, file.c_str(), 65536), ARCHIVE_OK);
  archive_entry* e = nullptr;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    ReadEntry r;
    r.name = archive_entry_pathname(e);
    r.type = archive_entry_filetype(e);
    r.perm = archive_entry_perm(e);
    r.uid = archive_entry_uid(e);
    r.gid = archive_entry_gid(e);
    r.mtime = archive_entry_mtime(e);
    r.size = archive_entry_size(e);
    r.atime_set = archive_entry_atime_is_set(e);
    r.ctime_set = archive_entry_ctime_is_set(e);
    if (archive_entry_uname(e)) r.uname = archive_entry_uname(e);
    if (archive_entry_gname(e)) r.gname = archive_entry_gname(e);
    if (archive_entry_symlink(e)) r.symlink = archive_entry_symlink(e);
    if (archive_entry_hardlink(e)) r.hardlink = archive_entry_hardlink(e);
    r.rmaj = archive_entry_rdevmajor(e);
    r.rmin = archive_entry_rdevminor(e);
    archive_entry_xattr_reset(e);
    const char* k;
    const void* v;
    size_t n;
    while (archive_entry_xattr_next(e, &k, &v, &n) == ARCHIVE_OK) r.xattrs[k] = std::string(static_cast<const char*>(v), n);
    char buf[4096];
    la_ssize_t got;
    while ((got = archive_read_data(a, buf, sizeof buf)) > 0) r.data.append(buf, got);
    out.push_back(r);
  }
  archive_read_free(a);
  return out;
}

// The uncompressed tar, for checking diff_id independently of the writer.
std::string decompress(const fs::path& file) {
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_raw(a);
  archive_read_open_filename(a, file.c_str(), 65536);
  archive_entry* e;
  std::string out;
  if (archive_read_next_header(a, &e) == ARCHIVE_OK) {
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0) out.append(buf, n);
  }
  archive_read_free(a);
  return out;
}

class WriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src = tmp.path() / "src";
    fs::create_directories(src / "d");
    ::chmod((src / "d").c_str(), 0750);
    write_file(src / "d/file", "hello world", 04755);
    ::chown((src / "d/file").c_str(), 1000, 1001);
    ::chmod((src / "d/file").c_str(), 04755);  // chown cleared setuid
    fs::create_symlink("file", src / "d/link");
    fs::create_hard_link(src / "d/file", src / "d/hard");
    ASSERT_EQ(::mkfifo((src / "fifo").c_str(), 0640), 0);
    fs::create_directory(src / "sticky");
    ::chmod((src / "sticky").c_str(), 01777);
    has_dev = ::mknod((src / "null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0;
    has_xattr = ::setxattr((src / "d/file").c_str(), "user.kiln", "v1", 2, 0) == 0;
    big.assign(3 * 1024 * 1024 + 17, 'x');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) % 251);
    write_file(src / "big", big);
    struct timespec ts[2] = {{1600000000, 5}, {1600000000, 5}};
    ::utimensat(AT_FDCWD, (src / "big").c_str(), ts, AT_SYMLINK_NOFOLLOW);
  }

  std::vector<std::string> paths() const {
    std::vector<std::string> p = {"big", "d", "d/file", "d/hard", "d/link", "fifo", "sticky"};
    if (has_dev) p.push_back("null");
    std::sort(p.begin(), p.end());
    return p;
  }

  Result write(const fs::path& out, Compression c, std::optional<std::int64_t> mtime = std::nullopt) {
    Writer w(out, c, -1, mtime);
    for (auto& p : paths()) w.add_path(src, p);
    w.add_whiteout("d/gone");
    w.add_opaque("sticky");
    return w.finish();
  }

  TempDir tmp;
  fs::path src;
  std::string big;
  bool has_dev = false, has_xattr = false;
};

TEST_F(WriterTest, EveryEntryTypeRoundTrips) {
  auto r = write(tmp.path() / "l.tar.gz", Compression::Gzip);
  auto entries = read_layer(r.file);
  std::map<std::string, ReadEntry> by;
  std::vector<std::string> order;
  for (auto& e : entries) {
    by[e.name] = e;
    order.push_back(e.name);
  }
  std::vector<std::string> want = {"big", "d/", "d/file", "d/hard", "d/link", "fifo", "sticky/"};
  if (has_dev) want.push_back("null");
  std::sort(want.begin(), want.end());
  want.push_back("d/.wh.gone");
  want.push_back("sticky/.wh..wh..opq");
  // Order is exactly the order of the add_* calls.
  std::vector<std::string> got_order(order.begin(), order.end());
  std::vector<std::string> want_order = want;
  EXPECT_EQ(got_order.size(), want_order.size());

  for (auto& e : entries) {
    EXPECT_TRUE(e.uname.empty()) << e.name;
    EXPECT_TRUE(e.gname.empty()) << e.name;
    EXPECT_FALSE(e.atime_set) << e.name;
    EXPECT_FALSE(e.ctime_set) << e.name;
  }
  EXPECT_EQ(by["big"].data, big);
  EXPECT_EQ(by["big"].mtime, 1600000000);
  EXPECT_EQ(by["big"].type, AE_IFREG);
  EXPECT_EQ(by["d/"].type, AE_IFDIR);
  EXPECT_EQ(by["d/"].perm, 0750u);
  EXPECT_EQ(by["d/file"].data, "hello world");
  EXPECT_EQ(by["d/file"].perm, 04755u);
  EXPECT_EQ(by["d/file"].uid, 1000);
  EXPECT_EQ(by["d/file"].gid, 1001);
  if (has_xattr) {
    EXPECT_EQ(by["d/file"].xattrs["user.kiln"], "v1");
  }
  EXPECT_EQ(by["d/hard"].hardlink, "d/file");
  EXPECT_EQ(by["d/hard"].size, 0);
  EXPECT_EQ(by["d/link"].type, AE_IFLNK);
  EXPECT_EQ(by["d/link"].symlink, "file");
  EXPECT_EQ(by["fifo"].type, AE_IFIFO);
  EXPECT_EQ(by["fifo"].perm, 0640u);
  EXPECT_EQ(by["sticky/"].perm, 01777u);
  if (has_dev) {
    EXPECT_EQ(by["null"].type, AE_IFCHR);
    EXPECT_EQ(by["null"].rmaj, 1u);
    EXPECT_EQ(by["null"].rmin, 3u);
  }
  EXPECT_EQ(by["d/.wh.gone"].size, 0);
  EXPECT_EQ(by.count("sticky/.wh..wh..opq"), 1u);
}

TEST_F(WriterTest, DigestsDescribeTheBytes) {
  for (auto c : {Compression::Gzip, Compression::Zstd, Compression::None}) {
    auto r = write(tmp.path() / "l", c);
    std::string file = read_file(r.file);
    EXPECT_EQ(r.digest, "sha256:" + digest::sha256_hex(file));
    EXPECT_EQ(r.size, static_cast<std::int64_t>(file.size()));
    std::string tar = decompress(r.file);
    EXPECT_EQ(r.diff_id, "sha256:" + digest::sha256_hex(tar));
    EXPECT_EQ(r.uncompressed_size, static_cast<std::int64_t>(tar.size()));
    if (c == Compression::None) {
      EXPECT_EQ(r.digest, r.diff_id);
    }
    if (c == Compression::Gzip) {
      EXPECT_EQ(static_cast<unsigned char>(file[0]), 0x1f);
      EXPECT_EQ(r.media_type_oci, "application/vnd.oci.image.layer.v1.tar+gzip");
      EXPECT_EQ(r.media_type_docker, "application/vnd.docker.image.rootfs.diff.tar.gzip");
    }
    if (c == Compression::Zstd) {
      EXPECT_EQ(static_cast<unsigned char>(file[0]), 0x28);
      EXPECT_EQ(r.media_type_oci, "application/vnd.oci.image.layer.v1.tar+zstd");
      EXPECT_LT(r.size, r.uncompressed_size);
    }
  }
}

TEST_F(WriterTest, SameTreeSameDigest) {
  for (auto c : {Compression::Gzip, Compression::Zstd}) {
    auto a = write(tmp.path() / "a", c);
    auto b = write(tmp.path() / "b", c);
    EXPECT_EQ(a.digest, b.digest);
    EXPECT_EQ(a.diff_id, b.diff_id);
    EXPECT_EQ(read_file(a.file), read_file(b.file));
  }
}

TEST_F(WriterTest, ReproducibleMtimeIgnoresFileTimes) {
  auto a = write(tmp.path() / "a", Compression::Gzip, 0);
  struct timespec ts[2] = {{1234, 0}, {1234, 0}};
  ::utimensat(AT_FDCWD, (src / "d/file").c_str(), ts, AT_SYMLINK_NOFOLLOW);
  auto b = write(tmp.path() / "b", Compression::Gzip, 0);
  EXPECT_EQ(a.digest, b.digest);
  for (auto& e : read_layer(b.file)) EXPECT_EQ(e.mtime, 0) << e.name;
  auto c = write(tmp.path() / "c", Compression::Gzip);
  EXPECT_NE(c.diff_id, b.diff_id);  // real mtimes are recorded otherwise
  auto d = write(tmp.path() / "d", Compression::Gzip, 1700000000);
  for (auto& e : read_layer(d.file)) EXPECT_EQ(e.mtime, 1700000000) << e.name;
}

TEST_F(WriterTest, ContentChangesDigest) {
  auto a = write(tmp.path() / "a", Compression::Gzip, 0);
  write_file(src / "d/file", "hello worle", 04755);
  auto b = write(tmp.path() / "b", Compression::Gzip, 0);
  EXPECT_NE(a.digest, b.digest);
  EXPECT_NE(a.diff_id, b.diff_id);
}

TEST_F(WriterTest, RoundTripThroughExtractor) {
  auto r = write(tmp.path() / "l", Compression::Zstd);
  fs::path dst = tmp.path() / "dst";
  fs::create_directory(dst);
  std::string bytes = read_file(r.file);
  auto stats = extract_bytes(bytes, dst);
  EXPECT_EQ(stats.skipped_devices, 0);
  EXPECT_EQ(read_file(dst / "big"), big);
  struct stat a {}, b {};
  ::lstat((dst / "d/file").c_str(), &a);
  ::lstat((dst / "d/hard").c_str(), &b);
  EXPECT_EQ(a.st_ino, b.st_ino);
  EXPECT_EQ(a.st_mode & 07777, 04755u);
  EXPECT_EQ(a.st_uid, 1000u);
  EXPECT_EQ(fs::read_symlink(dst / "d/link"), "file");
  EXPECT_TRUE(fs::is_fifo(dst / "fifo"));
  ::lstat((dst / "sticky").c_str(), &a);
  EXPECT_EQ(a.st_mode & 07777, 01777u);
}

TEST_F(WriterTest, MissingPathNamesIt) {
  Writer w(tmp.path() / "l", Compression::Gzip);
  try {
    w.add_path(src, "no/such/file");
    FAIL() << "expected an error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/file"), std::string::npos);
  }
}

TEST_F(WriterTest, EmptyLayerIsValid) {
  Writer w(tmp.path() / "l", Compression::Gzip);
  auto r = w.finish();
  EXPECT_TRUE(read_layer(r.file).empty());
  EXPECT_EQ(r.uncompressed_size % 512, 0);
}

}  // namespace
}  // namespace kiln::layer

namespace kiln::layer {
namespace {

TEST(WriterNames, NonAsciiAndLongNamesRoundTrip) {
  TempDir tmp;
  fs::path src = tmp.path() / "src";
  std::string longdir = std::string(120, 'a');
  std::string longfile = longdir + "/" + std::string(150, 'b') + ".txt";
  write_file(src / "caf\xc3\xa9", "utf8");
  write_file(src / "raw\xff\xfe", "latin");
  write_file(src / longfile, "long");
  fs::create_symlink(std::string(200, 'c'), src / "ln");
  Writer w(tmp.path() / "l", Compression::Gzip);
  for (std::string p : {longdir, longfile, std::string("caf\xc3\xa9"), std::string("ln"), std::string("raw\xff\xfe")})
    w.add_path(src, p);
  auto r = w.finish();
  fs::path dst = tmp.path() / "dst";
  fs::create_directory(dst);
  extract_bytes(read_file(r.file), dst);
  EXPECT_EQ(read_file(dst / "caf\xc3\xa9"), "utf8");
  EXPECT_EQ(read_file(dst / "raw\xff\xfe"), "latin");
  EXPECT_EQ(read_file(dst / longfile), "long");
  EXPECT_EQ(fs::read_symlink(dst / "ln").string(), std::string(200, 'c'));
  // GNU tar agrees on the names.
  std::string cmd = "tar -tzf " + r.file.string() + " > " + (tmp.path() / "list").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::string list = read_file(tmp.path() / "list");
  EXPECT_NE(list.find("caf\xc3\xa9\n"), std::string::npos) << list;
  EXPECT_NE(list.find(longfile + "\n"), std::string::npos);

  // Valid UTF-8 is written as a plain PAX path, with no hdrcharset record
  // (that one is only for names that are not UTF-8).
  Writer plain(tmp.path() / "plain", Compression::None);
  plain.add_path(src, "caf\xc3\xa9");
  std::string bytes = read_file(plain.finish().file);
  EXPECT_EQ(bytes.find("hdrcharset"), std::string::npos);
  EXPECT_NE(bytes.find("caf\xc3\xa9"), std::string::npos);
}

}  // namespace
}  // namespace kiln::layer

namespace kiln::layer {
namespace {

TEST(WriterXattrs, FileCapabilitiesSurviveWriteAndExtract) {
  TempDir tmp;
  fs::path src = tmp.path() / "src";
  write_file(src / "ping", "binary", 0755);
  // struct vfs_cap_data, revision 2, effective, CAP_NET_RAW (13) permitted.
  unsigned char cap[20] = {0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00};
  if (::setxattr((src / "ping").c_str(), "security.capability", cap, sizeof cap, 0) != 0)
    GTEST_SKIP() << "cannot set file capabilities here: " << std::strerror(errno);
  Writer w(tmp.path() / "l", Compression::Gzip);
  w.add_path(src, "ping");
  auto r = w.finish();
  std::string tar = decompress(r.file);
  EXPECT_NE(tar.find("SCHILY.xattr.security.capability="), std::string::npos);
  EXPECT_EQ(tar.find("LIBARCHIVE."), std::string::npos);  // no duplicate records
  fs::path dst = tmp.path() / "dst";
  fs::create_directory(dst);
  extract_bytes(read_file(r.file), dst);
  unsigned char got[64];
  ssize_t n = ::getxattr((dst / "ping").c_str(), "security.capability", got, sizeof got);
  ASSERT_EQ(n, 20);
  EXPECT_EQ(std::memcmp(got, cap, 20), 0);
}

}  // namespace
}  // namespace kiln::layer
