#include <gtest/gtest.h>

#include <random>

#include "fs/path_order.h"
#include "fs/tree_scan.h"
#include "temp_root.h"

using namespace kiln::fs;
using kiln::fs::test::TempRoot;

TEST(PathOrder, SlashSortsFirst) {
  EXPECT_LT(compare_walk_order("a", "a/b"), 0);
  EXPECT_LT(compare_walk_order("a/b", "a.b"), 0);
  EXPECT_LT(compare_walk_order("a/z", "a-b"), 0);
  EXPECT_EQ(compare_walk_order("x/y", "x/y"), 0);
  EXPECT_TRUE(is_below("a/b", "a"));
  EXPECT_FALSE(is_below("a.b", "a"));
  EXPECT_FALSE(is_below("a", "a"));
}

TEST(TreeScan, ParallelWalkEqualsSerialAndIsInWalkOrder) {
  TempRoot r;
  std::mt19937 rng(42);
  const char* names[] = {"a", "a.b", "a-b", "b", "B", "z", "a b", "_", "0"};
  for (int i = 0; i < 400; ++i) {
    std::string p;
    int depth = 1 + static_cast<int>(rng() % 4);
    for (int d = 0; d < depth; ++d) p += std::string(d ? "/" : "") + names[rng() % 9] + std::to_string(rng() % 3);
    std::error_code ec;
    if (rng() % 3 == 0) {
      std::filesystem::create_directories(r / p, ec);
    } else {
      std::filesystem::create_directories((r / p).parent_path(), ec);
      if (!ec && !std::filesystem::is_directory(r / p)) r.write(p, "x");
    }
  }
  IgnoreList none;
  auto serial = scan_tree(r.path(), none, 1);
  auto parallel = scan_tree(r.path(), none, 2);
  ASSERT_EQ(serial.size(), parallel.size());
  ASSERT_GT(serial.size(), 100u);
  for (std::size_t k = 0; k < serial.size(); ++k) {
    EXPECT_EQ(serial[k].path, parallel[k].path);
    if (k) EXPECT_LT(compare_walk_order(serial[k - 1].path, serial[k].path), 0) << serial[k].path;
  }
}
