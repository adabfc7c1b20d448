#pragma once
// Keys and tokens made with OpenSSL and libjwt, for tests that need real signatures: the
// relay itself only verifies (infra/jwt_verifier).
#include <cstdlib>
#include <memory>
#include <string>

#include <doctest/doctest.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace relay::test {

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const auto size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

inline KeyPair key_pair(bool ec) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(ec ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048),
                                                          &EVP_PKEY_free);
  REQUIRE(key);
  std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), &BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> pub(BIO_new(BIO_s_mem()), &BIO_free);
  REQUIRE(PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr));
  REQUIRE(PEM_write_bio_PUBKEY(pub.get(), key.get()));
  return {bio_text(priv.get()), bio_text(pub.get())};
}

inline const KeyPair& rsa() {
  static const KeyPair pair = key_pair(false);
  return pair;
}
inline const KeyPair& ec() {
  static const KeyPair pair = key_pair(true);
  return pair;
}

// A token signed by libjwt with `alg` and `key`, carrying `claims` (JSON) and header `kid`.
inline std::string sign(jwt_alg_t alg, const std::string& key, const std::string& claims,
                 const std::string& kid = "") {
  jwt_t* jwt = nullptr;
  REQUIRE(jwt_new(&jwt) == 0);
  REQUIRE(jwt_add_grants_json(jwt, claims.c_str()) == 0);
  if (!kid.empty()) REQUIRE(jwt_add_header(jwt, "kid", kid.c_str()) == 0);
  REQUIRE(jwt_set_alg(jwt, alg, key.empty() ? nullptr : reinterpret_cast<const unsigned char*>(key.data()),
                      static_cast<int>(key.size())) == 0);
  char* text = jwt_encode_str(jwt);
  REQUIRE(text != nullptr);
  std::string out(text);
  free(text);  // libjwt 1.10 returns malloc()ed text
  jwt_free(jwt);
  return out;
}

}  // namespace relay::test
