// The IP-SAN repair in a real mbedTLS handshake: a TLS docker-registry at
// 127.0.0.1 whose certificate carries IP:127.0.0.1, reached by an mbedTLS
// client configured the way libcurl's mbedTLS backend configures it (name
// check against the URL host, verification required). This is what the
// static build does inside libcurl; the host build's libcurl uses OpenSSL,
// so the handshake is driven here directly.
#include <gtest/gtest.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "../registry/registry_server.h"
#include "http/ip_san.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

using namespace kiln::http;

namespace {

struct HandshakeResult {
  int rc = 0;
  uint32_t flags = 0;
};

HandshakeResult handshake(int port, const std::string& ca, const std::string& host, bool with_repair) {
  mbedtls_net_context net;
  mbedtls_ssl_context ssl;
  mbedtls_ssl_config conf;
  mbedtls_x509_crt cacert;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  mbedtls_net_init(&net);
  mbedtls_ssl_init(&ssl);
  mbedtls_ssl_config_init(&conf);
  mbedtls_x509_crt_init(&cacert);
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  HandshakeResult r;
  IpSanCheck check{host};
  EXPECT_EQ(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0), 0);
  EXPECT_EQ(mbedtls_x509_crt_parse_file(&cacert, ca.c_str()), 0);
  EXPECT_EQ(mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT), 0);
  mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_ca_chain(&conf, &cacert, nullptr);
  mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
  if (with_repair) install_ip_san_check(nullptr, &conf, &check);
  EXPECT_EQ(mbedtls_ssl_setup(&ssl, &conf), 0);
  EXPECT_EQ(mbedtls_ssl_set_hostname(&ssl, host.c_str()), 0);
  EXPECT_EQ(mbedtls_net_connect(&net, "127.0.0.1", std::to_string(port).c_str(), MBEDTLS_NET_PROTO_TCP), 0);
  mbedtls_ssl_set_bio(&ssl, &net, mbedtls_net_send, mbedtls_net_recv, nullptr);
  while ((r.rc = mbedtls_ssl_handshake(&ssl)) == MBEDTLS_ERR_SSL_WANT_READ || r.rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
  }
  r.flags = mbedtls_ssl_get_verify_result(&ssl);
  if (r.rc == 0) mbedtls_ssl_close_notify(&ssl);
  mbedtls_net_free(&net);
  mbedtls_ssl_free(&ssl);
  mbedtls_ssl_config_free(&conf);
  mbedtls_x509_crt_free(&cacert);
  mbedtls_ctr_drbg_free(&drbg);
  mbedtls_entropy_free(&entropy);
  return r;
}

}  // namespace

TEST(IpSanHandshake, RegistryAtAnIpVerifiesOnlyWithTheRepair) {
  kiln::testing::RegistryServer reg({.tls = true});
  auto plain = handshake(reg.port(), reg.ca(), "127.0.0.1", false);
  EXPECT_NE(plain.rc, 0);
  EXPECT_EQ(plain.flags, uint32_t(MBEDTLS_X509_BADCERT_CN_MISMATCH));  // the mbedTLS 2.28 gap
  auto repaired = handshake(reg.port(), reg.ca(), "127.0.0.1", true);
  EXPECT_EQ(repaired.rc, 0);
  EXPECT_EQ(repaired.flags, 0u);
  // The repair does not accept an IP the certificate does not name.
  auto other = handshake(reg.port(), reg.ca(), "127.0.0.2", true);
  EXPECT_NE(other.rc, 0);
  EXPECT_TRUE(other.flags & MBEDTLS_X509_BADCERT_CN_MISMATCH);
  // Nor a certificate from an untrusted CA: trust is still checked.
  kiln::testing::TempDir other_ca;
  kiln::testing::make_tls_files(other_ca);
  auto untrusted = handshake(reg.port(), other_ca.str("ca.pem"), "127.0.0.1", true);
  EXPECT_NE(untrusted.rc, 0);
  EXPECT_TRUE(untrusted.flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
}
