#pragma once
// Seeded bytes that no compressor can shrink, the same on every machine
// (mt19937's sequence is fixed by the standard): for the gzip tests.
#include <random>
#include <vector>

namespace kiln::layer::testing {

inline std::vector<unsigned char> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<unsigned char> b(n);
  for (auto& c : b) c = static_cast<unsigned char>(rng());
  return b;
}

}  // namespace kiln::layer::testing
