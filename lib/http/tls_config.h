#pragma once
// How one connection's TLS peer is checked and how we identify ourselves.
#include <string>

namespace kiln::http {

struct TlsConfig {
  bool verify = true;         // false: no peer or host name check (--skip-tls-verify)
  std::string ca_file;        // PEM bundle of trusted CAs; empty: libcurl's default
  std::string ca_dir;         // hashed CA directory (SSL_CERT_DIR)
  std::string client_cert;    // PEM client certificate for mutual TLS
  std::string client_key;     // its PEM key
};

}  // namespace kiln::http
