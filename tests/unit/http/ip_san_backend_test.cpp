#include "http/ip_san.h"

#include <gtest/gtest.h>

using namespace kiln::http;

// The IP SAN callback is installed only when libcurl runs on mbedTLS
// (http/client.cpp): the static build links curl with mbedTLS, the host build
// Debian's OpenSSL curl, whose own verification already honours IP SANs.
TEST(IpSanBackend, CurlTlsBackendIsTheBuilds) {
  EXPECT_EQ(curl_uses_mbedtls(), static_cast<bool>(KILN_TEST_STATIC_BUILD));
}
