#pragma once
// Go's unicode.IsSpace: Docker's tools split words and trim lines at these
// code points, so the lexer and the .dockerignore reader must agree with Go.

namespace kiln::dockerfile {

inline bool is_go_space(char32_t c) {
  switch (c) {
    case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

}  // namespace kiln::dockerfile
