#include "objstore/encoding.h"

#include <mbedtls/base64.h>
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>

#include "base/error.h"

namespace kiln::objstore {

std::string hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string sha256_raw(std::string_view data) {
  unsigned char out[32];
  if (mbedtls_sha256_ret(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, 0) != 0)
    throw Error("sha256 failed");
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[32];
  const mbedtls_md_info_t* md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  if (!md || mbedtls_md_hmac(md, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out) != 0)
    throw Error("hmac-sha256 failed");
  return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string base64_encode(std::string_view bytes) {
  std::size_t n = 0;
  mbedtls_base64_encode(nullptr, 0, &n, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  std::string out(n, '\0');
  if (mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &n,
                            reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) != 0)
    throw Error("base64 encoding failed");
  out.resize(n);
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::size_t n = 0;
  int rc = mbedtls_base64_decode(nullptr, 0, &n, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  if (rc == MBEDTLS_ERR_BASE64_INVALID_CHARACTER) return std::nullopt;
  std::string out(n, '\0');
  if (mbedtls_base64_decode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &n,
                            reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 0)
    return std::nullopt;
  out.resize(n);
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string s = base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (char& c : s) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return s;
}

std::string uri_decode(std::string_view s) {
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && val(s[i + 1]) >= 0 && val(s[i + 2]) >= 0) {
      out += static_cast<char>(val(s[i + 1]) * 16 + val(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace kiln::objstore
