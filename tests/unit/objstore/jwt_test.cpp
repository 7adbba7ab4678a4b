// RS256 JWTs: built with a key generated here, checked with mbedTLS's
// verifier against the public half (and refused once tampered with).
#include "objstore/jwt.h"

#include <gtest/gtest.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

#include <nlohmann/json.hpp>

#include "base/error.h"
#include "objstore/encoding.h"

namespace kiln::objstore {
namespace {

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

// One 2048-bit key for the whole suite (generation takes a moment).
const KeyPair& test_key() {
  static const KeyPair kp = [] {
    KeyPair out;
    mbedtls_pk_context pk;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    EXPECT_EQ(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, nullptr, 0), 0);
    EXPECT_EQ(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)), 0);
    EXPECT_EQ(mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), mbedtls_ctr_drbg_random, &drbg, 2048, 65537), 0);
    std::string buf(16000, '\0');
    EXPECT_EQ(mbedtls_pk_write_key_pem(&pk, reinterpret_cast<unsigned char*>(buf.data()), buf.size()), 0);
    out.private_pem = buf.c_str();
    std::fill(buf.begin(), buf.end(), '\0');
    EXPECT_EQ(mbedtls_pk_write_pubkey_pem(&pk, reinterpret_cast<unsigned char*>(buf.data()), buf.size()), 0);
    out.public_pem = buf.c_str();
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    mbedtls_pk_free(&pk);
    return out;
  }();
  return kp;
}

std::string b64url_decode(std::string s) {
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  while (s.size() % 4) s += '=';
  auto d = base64_decode(s);
  EXPECT_TRUE(d.has_value()) << s;
  return d.value_or("");
}

bool verifies(const std::string& jwt, const std::string& public_pem) {
  auto dot = jwt.rfind('.');
  std::string input = jwt.substr(0, dot);
  std::string sig = b64url_decode(jwt.substr(dot + 1));
  std::string hash = sha256_raw(input);
  mbedtls_pk_context pub;
  mbedtls_pk_init(&pub);
  EXPECT_EQ(mbedtls_pk_parse_public_key(&pub, reinterpret_cast<const unsigned char*>(public_pem.c_str()),
                                        public_pem.size() + 1),
            0);
  int rc = mbedtls_pk_verify(&pub, MBEDTLS_MD_SHA256, reinterpret_cast<const unsigned char*>(hash.data()), hash.size(),
                             reinterpret_cast<const unsigned char*>(sig.data()), sig.size());
  mbedtls_pk_free(&pub);
  return rc == 0;
}

TEST(Jwt, GoogleAssertionIsSignedAndCarriesTheClaims) {
  ServiceAccountKey key{"builder@proj.iam.gserviceaccount.com", test_key().private_pem, "kid-1",
                        "http://127.0.0.1:9/token"};
  std::string jwt = google_jwt_assertion(key, "https://www.googleapis.com/auth/devstorage.read_only", 1700000000);
  auto first = jwt.find('.');
  auto last = jwt.rfind('.');
  ASSERT_NE(first, last);
  auto header = nlohmann::json::parse(b64url_decode(jwt.substr(0, first)));
  auto claims = nlohmann::json::parse(b64url_decode(jwt.substr(first + 1, last - first - 1)));
  EXPECT_EQ(header["alg"], "RS256");
  EXPECT_EQ(header["typ"], "JWT");
  EXPECT_EQ(header["kid"], "kid-1");
  EXPECT_EQ(claims["iss"], "builder@proj.iam.gserviceaccount.com");
  EXPECT_EQ(claims["aud"], "http://127.0.0.1:9/token");
  EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/devstorage.read_only");
  EXPECT_EQ(claims["iat"], 1700000000);
  EXPECT_EQ(claims["exp"], 1700003600);
  EXPECT_EQ(jwt.find('='), std::string::npos);  // base64url without padding
  EXPECT_TRUE(verifies(jwt, test_key().public_pem));

  // A changed claim no longer matches the signature.
  std::string forged_claims = claims.dump();
  forged_claims.replace(forged_claims.find("builder"), 7, "intrude");
  std::string forged = jwt.substr(0, first + 1) + base64url_encode(forged_claims) + jwt.substr(last);
  EXPECT_FALSE(verifies(forged, test_key().public_pem));
}

TEST(Jwt, Rs256IsDeterministic) {
  // PKCS#1 v1.5 has no randomness in the signature (blinding aside).
  EXPECT_EQ(jwt_rs256("{}", "{\"a\":1}", test_key().private_pem), jwt_rs256("{}", "{\"a\":1}", test_key().private_pem));
}

TEST(Jwt, NotAKey) { EXPECT_THROW(jwt_rs256("{}", "{}", "-----BEGIN PRIVATE KEY-----\nAAAA\n"), UsageError); }

TEST(ServiceAccountKeyFile, Fields) {
  nlohmann::json j = {{"type", "service_account"},
                      {"client_email", "a@b"},
                      {"private_key", "PEM"},
                      {"private_key_id", "id"},
                      {"token_uri", "http://t/token"}};
  auto k = parse_service_account_key(j.dump(), "key.json");
  EXPECT_EQ(k.client_email, "a@b");
  EXPECT_EQ(k.token_uri, "http://t/token");
  j.erase("token_uri");
  EXPECT_EQ(parse_service_account_key(j.dump(), "key.json").token_uri, "https://oauth2.googleapis.com/token");
}

TEST(ServiceAccountKeyFile, ErrorsNameTheFile) {
  try {
    parse_service_account_key(R"({"type":"authorized_user","client_id":"x"})", "/k/adc.json");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("/k/adc.json"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("authorized_user"), std::string::npos);
  }
  EXPECT_THROW(parse_service_account_key("{", "k"), UsageError);
  EXPECT_THROW(parse_service_account_key(R"({"client_email":"a"})", "k"), UsageError);
}

}  // namespace
}  // namespace kiln::objstore
