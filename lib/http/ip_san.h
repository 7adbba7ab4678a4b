#pragma once
// mbedTLS 2.28 checks a peer's name only against dNSName subjectAltNames and
// the CN, so `https://127.0.0.1:5443` fails with a CN mismatch even when the
// certificate lists IP:127.0.0.1. kiln's static build (curl over mbedTLS)
// repairs exactly that case and nothing else: see install_ip_san_check().
#include <cstdint>
#include <string>
#include <string_view>

typedef struct mbedtls_x509_crt mbedtls_x509_crt;

namespace kiln::http {

// True when the certificate carries an iPAddress subjectAltName (context tag
// 7) whose bytes equal `ip` (dotted IPv4 → 4 bytes, IPv6 text → 16 bytes;
// brackets allowed). False for anything that is not an IP literal.
bool cert_has_ip_san(const mbedtls_x509_crt& crt, std::string_view ip);

// The state the verification callback needs; lives as long as the curl
// handle that uses it (a TLS handshake only happens inside perform()).
struct IpSanCheck {
  std::string ip;  // the URL host when it is an IP literal, else empty
  // A verify callback libcurl itself installed before ours (newer curl
  // versions do): called after ours so it still sees and logs the result.
  int (*previous)(void*, mbedtls_x509_crt*, int, std::uint32_t*) = nullptr;
  void* previous_ctx = nullptr;
};

// Whether libcurl's TLS backend at run time is mbedTLS.
bool curl_uses_mbedtls();

// Signature of CURLOPT_SSL_CTX_FUNCTION. `ssl_ctx` is an mbedtls_ssl_config*
// and `userptr` an IpSanCheck*. Installs a verify callback that clears
// MBEDTLS_X509_BADCERT_CN_MISMATCH on the leaf (depth 0) only when
// IpSanCheck::ip is set and cert_has_ip_san() holds; other flags untouched.
// Any callback already configured is kept and chained after ours.
// Must only be installed when curl_uses_mbedtls().
int install_ip_san_check(void* curl, void* ssl_ctx, void* userptr);

// The verify callback itself, exposed for tests.
int ip_san_verify(void* check, mbedtls_x509_crt* crt, int depth, std::uint32_t* flags);

}  // namespace kiln::http
