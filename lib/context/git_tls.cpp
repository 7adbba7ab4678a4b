#include "context/git_tls.h"

#include <arpa/inet.h>
#include <mbedtls/x509_crt.h>

#include "http/ip_san.h"

namespace kiln::context {
namespace {

bool is_ip_literal(std::string_view host) {
  std::string h(host);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

// Owns an mbedtls_x509_crt chain.
struct Crt {
  mbedtls_x509_crt c;
  Crt() { mbedtls_x509_crt_init(&c); }
  ~Crt() { mbedtls_x509_crt_free(&c); }
  Crt(const Crt&) = delete;
  Crt& operator=(const Crt&) = delete;
};

}  // namespace

bool leaf_trusted_for_ip(const unsigned char* der, std::size_t len, std::string_view host, const std::string& ca_file,
                         const std::string& ca_dir) {
  if (der == nullptr || len == 0 || !is_ip_literal(host)) return false;
  Crt leaf, cas;
  if (mbedtls_x509_crt_parse_der(&leaf.c, der, len) != 0) return false;
  if (!http::cert_has_ip_san(leaf.c, host)) return false;
  bool loaded = false;
  if (!ca_file.empty() && mbedtls_x509_crt_parse_file(&cas.c, ca_file.c_str()) >= 0) loaded = true;
  if (!ca_dir.empty() && mbedtls_x509_crt_parse_path(&cas.c, ca_dir.c_str()) >= 0) loaded = true;
  if (!loaded || cas.c.raw.p == nullptr) return false;
  std::uint32_t flags = 0;
  // cn = nullptr: no name check here, the IP SAN was matched above.
  int rc = mbedtls_x509_crt_verify(&leaf.c, &cas.c, nullptr, nullptr, &flags, nullptr, nullptr);
  return rc == 0 && flags == 0;
}

}  // namespace kiln::context
