#include "objstore/jwt.h"

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "base/error.h"
#include "objstore/encoding.h"

namespace kiln::objstore {
namespace {

// Owns the mbedTLS contexts for one signature; RSA blinding needs the RNG.
struct Signer {
  mbedtls_pk_context pk;
  mbedtls_entropy_context entropy;
  mbedtls_ctr_drbg_context drbg;
  Signer() {
    mbedtls_pk_init(&pk);
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
  }
  ~Signer() {
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    mbedtls_pk_free(&pk);
  }
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;
};

}  // namespace

ServiceAccountKey parse_service_account_key(std::string_view text, std::string_view source) {
  auto fail = [&](const std::string& why) {
    return UsageError("service account key " + std::string(source) + ": " + why);
  };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) throw fail("not a JSON object");
  if (j.contains("type") && j["type"] != "service_account")
    throw fail("type is " + j["type"].dump() + ", only service_account keys are supported");
  ServiceAccountKey k;
  auto field = [&](const char* name, std::string& out, bool required) {
    if (j.contains(name) && j[name].is_string()) {
      out = j[name].get<std::string>();
    } else if (required) {
      throw fail(std::string("no \"") + name + "\" field");
    }
  };
  field("client_email", k.client_email, true);
  field("private_key", k.private_key, true);
  field("private_key_id", k.private_key_id, false);
  field("token_uri", k.token_uri, false);
  if (k.token_uri.empty()) k.token_uri = "https://oauth2.googleapis.com/token";
  return k;
}

std::string jwt_rs256(std::string_view header_json, std::string_view claims_json, std::string_view pem) {
  std::string signing_input = base64url_encode(header_json) + "." + base64url_encode(claims_json);
  Signer s;
  std::string key(pem);  // mbedTLS wants the terminating NUL counted for PEM
  if (mbedtls_pk_parse_key(&s.pk, reinterpret_cast<const unsigned char*>(key.c_str()), key.size() + 1, nullptr, 0) !=
      0)
    throw UsageError("the private key is not a PEM private key");
  if (!mbedtls_pk_can_do(&s.pk, MBEDTLS_PK_RSA)) throw UsageError("the private key is not an RSA key (RS256)");
  static constexpr char kPers[] = "kiln-jwt";
  if (mbedtls_ctr_drbg_seed(&s.drbg, mbedtls_entropy_func, &s.entropy, reinterpret_cast<const unsigned char*>(kPers),
                            sizeof kPers - 1) != 0)
    throw Error("JWT signing: no entropy source (is /dev/urandom there?)");
  std::string hash = sha256_raw(signing_input);
  std::string sig(MBEDTLS_PK_SIGNATURE_MAX_SIZE, '\0');
  std::size_t sig_len = 0;
  if (mbedtls_pk_sign(&s.pk, MBEDTLS_MD_SHA256, reinterpret_cast<const unsigned char*>(hash.data()), hash.size(),
                      reinterpret_cast<unsigned char*>(sig.data()), &sig_len, mbedtls_ctr_drbg_random, &s.drbg) != 0)
    throw Error("JWT signing with the RSA key failed");
  sig.resize(sig_len);
  return signing_input + "." + base64url_encode(sig);
}

std::string google_jwt_assertion(const ServiceAccountKey& key, std::string_view scope, std::time_t now) {
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!key.private_key_id.empty()) header["kid"] = key.private_key_id;
  nlohmann::json claims = {{"iss", key.client_email},
                           {"scope", std::string(scope)},
                           {"aud", key.token_uri},
                           {"iat", static_cast<long long>(now)},
                           {"exp", static_cast<long long>(now) + 3600}};
  return jwt_rs256(header.dump(), claims.dump(), key.private_key);
}

}  // namespace kiln::objstore
