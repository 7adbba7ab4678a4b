#include "http/ip_san.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <mbedtls/asn1.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509.h>
#include <mbedtls/x509_crt.h>

#include <cstring>

namespace kiln::http {
namespace {

// Turns an IP literal into its wire bytes; returns the length (4 or 16) or 0.
std::size_t ip_bytes(std::string_view text, unsigned char out[16]) {
  std::string s(text);
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (inet_pton(AF_INET, s.c_str(), out) == 1) return 4;
  if (inet_pton(AF_INET6, s.c_str(), out) == 1) return 16;
  return 0;
}

// iPAddress is GeneralName [7], a primitive context-specific tag.
constexpr int kIpAddressTag = MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7;

}  // namespace

bool cert_has_ip_san(const mbedtls_x509_crt& crt, std::string_view ip) {
  unsigned char want[16];
  std::size_t n = ip_bytes(ip, want);
  if (n == 0) return false;
  // mbedTLS keeps every SAN entry raw in this list, including the types it
  // does not interpret itself (it only reports them as unsupported).
  for (const mbedtls_x509_sequence* cur = &crt.subject_alt_names; cur != nullptr; cur = cur->next) {
    const mbedtls_x509_buf& b = cur->buf;
    if (b.p == nullptr || b.tag != kIpAddressTag) continue;
    if (b.len == n && std::memcmp(b.p, want, n) == 0) return true;
  }
  return false;
}

bool curl_uses_mbedtls() {
  const curl_version_info_data* v = curl_version_info(CURLVERSION_NOW);
  return v != nullptr && v->ssl_version != nullptr && std::strncmp(v->ssl_version, "mbedTLS", 7) == 0;
}

int ip_san_verify(void* check, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags) {
  auto* c = static_cast<const IpSanCheck*>(check);
  if (c == nullptr) return 0;
  if (depth == 0 && !c->ip.empty() && crt != nullptr && (*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) &&
      cert_has_ip_san(*crt, c->ip))
    *flags &= ~static_cast<std::uint32_t>(MBEDTLS_X509_BADCERT_CN_MISMATCH);
  return c->previous ? c->previous(c->previous_ctx, crt, depth, flags) : 0;
}

int install_ip_san_check(void* /*curl*/, void* ssl_ctx, void* userptr) {
  auto* conf = static_cast<mbedtls_ssl_config*>(ssl_ctx);
  auto* check = static_cast<IpSanCheck*>(userptr);
  // mbedTLS 2.x keeps these fields public; 3.x would need MBEDTLS_PRIVATE.
  check->previous = conf->f_vrfy == &ip_san_verify ? nullptr : conf->f_vrfy;
  check->previous_ctx = conf->f_vrfy == &ip_san_verify ? nullptr : conf->p_vrfy;
  mbedtls_ssl_conf_verify(conf, &ip_san_verify, check);
  return CURLE_OK;
}

}  // namespace kiln::http
