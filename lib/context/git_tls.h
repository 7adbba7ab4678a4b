#pragma once
// libgit2 over mbedTLS 2.28 rejects https://<IP>/ even when the server's
// certificate lists that IP as a subjectAltName (mbedTLS matches only DNS
// names and the CN). libgit2 then hands the leaf certificate to the
// certificate_check callback, which can accept it: this file decides, with
// the same rules as kiln's registry client (lib/http/ip_san.h).
#include <cstddef>
#include <string>
#include <string_view>

namespace kiln::context {

// True only when `host` is an IP literal, the DER leaf certificate carries it
// as an iPAddress subjectAltName, and the leaf verifies against the CAs in
// ca_file / ca_dir (dates and signature; names not checked, the SAN is).
// libgit2 passes the leaf alone, so a chain through an intermediate CA the
// trust store lacks is not accepted here.
bool leaf_trusted_for_ip(const unsigned char* der, std::size_t len, std::string_view host, const std::string& ca_file,
                         const std::string& ca_dir);

}  // namespace kiln::context
