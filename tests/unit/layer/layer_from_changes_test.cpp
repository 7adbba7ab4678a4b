#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "layer/layer_from_changes.h"

namespace fsys = std::filesystem;
using namespace kiln;

namespace {

std::vector<std::string> entry_names(const fsys::path& layer) {
  std::vector<std::string> names;
  archive* a = archive_read_new();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  EXPECT_EQ(archive_read_open_filename(a, layer.c_str(), 65536), ARCHIVE_OK);
  archive_entry* e;
  while (archive_read_next_header(a, &e) == ARCHIVE_OK) names.emplace_back(archive_entry_pathname(e));
  archive_read_free(a);
  return names;
}

}  // namespace

TEST(LayerFromChanges, SortedWithWhiteoutsAndSameBytesTwice) {
  std::string t = (fsys::temp_directory_path() / "kiln-lfc-XXXXXX").string();
  ASSERT_NE(mkdtemp(t.data()), nullptr);
  fsys::path root = fsys::path(t) / "root";
  fsys::create_directories(root / "a/b");
  fsys::create_directories(root / "a-b");
  std::ofstream(root / "a/b/f") << "x";
  std::ofstream(root / "a-b/g") << "y";
  fs::Changes ch;
  // Deliberately unsorted, whiteouts mixed in: the layer must come out in
  // path order with '/' sorting before every other byte.
  ch.added_or_modified = {"a-b/g", "a", "a-b", "a/b/f", "a/b"};
  ch.deleted = {"a/old", "z"};
  layer::LayerSettings s;
  s.fixed_mtime = 0;
  auto r1 = layer::write_layer(root, ch, fsys::path(t) / "l1", s);
  auto r2 = layer::write_layer(root, ch, fsys::path(t) / "l2", s);
  EXPECT_EQ(r1.digest, r2.digest);
  EXPECT_EQ(r1.diff_id, r2.diff_id);
  auto names = entry_names(r1.file);
  std::vector<std::string> want = {"a/", "a/b/", "a/b/f", "a/.wh.old", "a-b/", "a-b/g", ".wh.z"};
  // Compare as sets of names first (format details like trailing '/' aside),
  // then the order of the ones that matter.
  ASSERT_EQ(names.size(), want.size());
  auto pos = [&](const std::string& prefix) {
    for (std::size_t i = 0; i < names.size(); ++i)
      if (names[i].rfind(prefix, 0) == 0) return static_cast<int>(i);
    return -1;
  };
  EXPECT_LT(pos("a/b/f"), pos("a-b"));
  EXPECT_LT(pos("a/.wh.old"), pos("a-b"));
  EXPECT_GE(pos(".wh.z"), 0);
  fsys::remove_all(t);
}
