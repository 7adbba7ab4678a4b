#pragma once
// Whether deflating a block is worth its time. Already-compressed content
// (a .jar, a .gz, a .png, a packed binary, random bytes) passes through zlib
// at 30-40 MB/s a core only to come out as stored blocks anyway; storing it
// outright runs at memory speed.
//
// The test is conservative: a block counts as incompressible only when
// deflate could shrink it by at most about 3%, and it is a pure function of
// the bytes (integer arithmetic, byte order fixed), so a layer's digest is
// the same on every machine and architecture.
//
// Deflate has two ways to save space, and both are bounded here:
// - Huffman-coding the literals cannot beat the bytes' Shannon entropy,
//   which is at least their collision entropy -log2(sum p_i^2). The block
//   must have a collision entropy of at least log2(239) = 7.9 bits a byte:
//   literals save at most 1.3%.
// - LZ77 matches: at most 1 in 64 positions of the block may start a 4-byte
//   repeat of something up to 32 KiB back (the previous block's tail
//   included), so matches can cover little of it.
#include <cstddef>
#include <span>

namespace kiln::layer {

// Blocks smaller than this are always deflated: cheap, and their byte
// counts are too few to say anything.
inline constexpr std::size_t kIncompressibleMinBlock = 4096;

// `window` is the input that precedes `block` (at most the last 32 KiB of
// it count), which deflate may match against.
bool incompressible(std::span<const unsigned char> window, std::span<const unsigned char> block);

}  // namespace kiln::layer
