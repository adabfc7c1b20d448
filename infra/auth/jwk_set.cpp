#include "infra/auth/jwk_set.hpp"

#include <array>
#include <fstream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <simdjson.h>

#include "proto/json_duplicates.hpp"
#include "proto/jwt_token.hpp"

namespace relay::infra {

namespace {

// OpenSSL objects freed with the function OpenSSL names for each.
struct OpenSslFree {
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Bio = std::unique_ptr<BIO, OpenSslFree>;
using Bignum = std::unique_ptr<BIGNUM, OpenSslFree>;
using ParamBuild = std::unique_ptr<OSSL_PARAM_BLD, OpenSslFree>;
using Params = std::unique_ptr<OSSL_PARAM, OpenSslFree>;
using PkeyContext = std::unique_ptr<EVP_PKEY_CTX, OpenSslFree>;
using Pkey = std::unique_ptr<EVP_PKEY, OpenSslFree>;

/// RSA moduli shorter than this are refused (NIST SP 800-131A: 2048 bits since 2014).
constexpr int min_rsa_bits = 2048;

struct Curve {
  std::string_view jwk_name;     // "crv"
  const char* openssl_name;      // OSSL_PKEY_PARAM_GROUP_NAME
  std::size_t coordinate_bytes;  // RFC 7518 6.2.1.2: x and y are full length
  std::string_view alg;          // the ES alg of this curve
};
constexpr std::array<Curve, 3> curves{{{"P-256", "prime256v1", 32, "ES256"},
                                       {"P-384", "secp384r1", 48, "ES384"},
                                       {"P-521", "secp521r1", 66, "ES512"}}};

const Curve* curve_named(std::string_view name) {
  for (const auto& c : curves) {
    if (c.jwk_name == name) return &c;
  }
  return nullptr;
}

// The key from OSSL_PARAMs as a PEM public key, checked by OpenSSL (an EC point off its
// curve, say, is refused); nullopt when OpenSSL refuses it.
std::optional<std::string> public_pem(const char* type, const OSSL_PARAM* params,
                                      int* bits = nullptr) {
  PkeyContext ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) <= 0) {
    return std::nullopt;
  }
  Pkey key(raw);
  PkeyContext check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) <= 0) return std::nullopt;
  if (bits != nullptr) *bits = EVP_PKEY_get_bits(key.get());
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) return std::nullopt;
  char* data = nullptr;
  const auto size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Bignum bignum(const std::string& big_endian) {
  return Bignum(BN_bin2bn(reinterpret_cast<const unsigned char*>(big_endian.data()),
                          static_cast<int>(big_endian.size()), nullptr));
}

// A base64url member of `object`, decoded: `value`, or `error` naming the member.
struct Member {
  std::string value;
  std::string error;
};
Member member_bytes(simdjson::dom::object object, std::string_view name) {
  std::string_view text;
  if (object[name].get(text) != simdjson::SUCCESS) {
    return {{}, fmt::format("has no string \"{}\"", name)};
  }
  auto bytes = proto::base64url_decode(text);
  if (!bytes || bytes->empty()) return {{}, fmt::format("\"{}\" is not base64url", name)};
  return {std::move(*bytes), {}};
}

// The key material of one JWK into `key`, or why it is refused.
std::optional<std::string> read_material(simdjson::dom::object object, Jwk& key) {
  if (key.kty == "oct") {
    auto k = member_bytes(object, "k");
    if (!k.error.empty()) return k.error;
    key.key = std::move(k.value);
    if (key.key.size() < 32) return std::string("\"k\" is shorter than 32 bytes (RFC 7518 3.2)");
    return std::nullopt;
  }
  if (key.kty == "RSA") {
    auto n = member_bytes(object, "n");
    if (!n.error.empty()) return n.error;
    auto e = member_bytes(object, "e");
    if (!e.error.empty()) return e.error;
    auto modulus = bignum(n.value);
    auto exponent = bignum(e.value);
    ParamBuild build(OSSL_PARAM_BLD_new());
    if (!modulus || !exponent || !build ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, modulus.get()) ||
        !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, exponent.get())) {
      return std::string("its RSA parameters cannot be read");
    }
    Params params(OSSL_PARAM_BLD_to_param(build.get()));
    int bits = 0;
    auto pem = params ? public_pem("RSA", params.get(), &bits) : std::nullopt;
    if (!pem) return std::string("OpenSSL refuses its RSA public key");
    if (bits < min_rsa_bits) {
      return fmt::format("its RSA modulus has {} bits, fewer than {}", bits, min_rsa_bits);
    }
    key.key = std::move(*pem);
    return std::nullopt;
  }
  if (key.kty == "EC") {
    std::string_view crv;
    if (object["crv"].get(crv) != simdjson::SUCCESS) return std::string("has no string \"crv\"");
    const auto* curve = curve_named(crv);
    if (curve == nullptr) return std::string("\"crv\" is not P-256, P-384 or P-521");
    key.curve = std::string(crv);
    auto x = member_bytes(object, "x");
    if (!x.error.empty()) return x.error;
    auto y = member_bytes(object, "y");
    if (!y.error.empty()) return y.error;
    if (x.value.size() != curve->coordinate_bytes || y.value.size() != curve->coordinate_bytes) {
      return fmt::format("\"x\" and \"y\" of a {} key are {} bytes each", crv,
                         curve->coordinate_bytes);
    }
    // SEC 1 uncompressed point: 0x04 || x || y.
    const auto point = std::string(1, '\x04') + x.value + y.value;
    ParamBuild build(OSSL_PARAM_BLD_new());
    if (!build ||
        !OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME,
                                         curve->openssl_name, 0) ||
        !OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                          point.size())) {
      return std::string("its EC parameters cannot be read");
    }
    Params params(OSSL_PARAM_BLD_to_param(build.get()));
    auto pem = params ? public_pem("EC", params.get()) : std::nullopt;
    if (!pem) return std::string("OpenSSL refuses its EC public key (not a point of its curve)");
    key.key = std::move(*pem);
    return std::nullopt;
  }
  return fmt::format("\"kty\" {} is not oct, RSA or EC", key.kty.empty() ? "(none)" : key.kty);
}

}  // namespace

std::variant<JwkSet, std::string> parse_jwk_set(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return std::string("the key set is not JSON");
  }
  if (auto pointer = proto::find_duplicate_key(root)) {
    return fmt::format("the key set repeats the key at {}", *pointer);
  }
  simdjson::dom::array keys;
  if (root["keys"].get(keys) != simdjson::SUCCESS) {
    return std::string("the key set has no \"keys\" array (RFC 7517 5)");
  }
  JwkSet set;
  std::size_t index = 0;
  for (auto item : keys) {
    const auto at = index++;
    simdjson::dom::object object;
    if (item.get(object) != simdjson::SUCCESS) return fmt::format("key {} is not an object", at);
    Jwk key;
    std::string_view text;
    if (object["kid"].get(text) == simdjson::SUCCESS) key.kid = text;
    const auto name = key.kid.empty() ? fmt::format("key {}", at)
                                      : fmt::format("key {} (kid {})", at, key.kid);
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi"}) {
      if (object[secret].error() != simdjson::NO_SUCH_FIELD) {
        return fmt::format("{} holds the private member \"{}\": publish public keys only", name,
                           secret);
      }
    }
    if (object["use"].get(text) == simdjson::SUCCESS && text != "sig") continue;
    if (object["kty"].get(text) == simdjson::SUCCESS) key.kty = text;
    if (object["alg"].get(text) == simdjson::SUCCESS) key.alg = text;
    if (auto problem = read_material(object, key)) return fmt::format("{}: {}", name, *problem);
    for (const auto& other : set) {
      if (other.kid == key.kid) {
        return fmt::format("{}: another key has the same kid", name);
      }
    }
    if (set.size() == max_jwks_keys) {
      return fmt::format("the key set holds more than {} keys", max_jwks_keys);
    }
    set.push_back(std::move(key));
  }
  if (set.empty()) return std::string("the key set holds no signing key");
  return set;
}

std::variant<JwkSet, std::string> read_jwk_set_file(const std::string& path) {
  constexpr std::size_t max_bytes = std::size_t{1} << 20;
  std::ifstream file(path, std::ios::binary);
  if (!file) return fmt::format("cannot read '{}'", path);
  std::string text(max_bytes + 1, '\0');
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (file.bad()) return fmt::format("cannot read '{}'", path);
  text.resize(static_cast<std::size_t>(file.gcount()));
  if (text.size() > max_bytes) {
    return fmt::format("'{}' is larger than 1 MiB", path);
  }
  auto set = parse_jwk_set(text);
  if (auto* error = std::get_if<std::string>(&set)) {
    return fmt::format("'{}': {}", path, *error);
  }
  return set;
}

bool jwk_fits(const Jwk& key, std::string_view alg) {
  if (!key.alg.empty() && key.alg != alg) return false;
  if (alg.starts_with("HS")) return key.kty == "oct";
  if (alg.starts_with("RS")) return key.kty == "RSA";
  if (alg.starts_with("ES")) {
    const auto* curve = curve_named(key.curve);
    return key.kty == "EC" && curve != nullptr && curve->alg == alg;
  }
  return false;
}

const Jwk* find_jwk(const JwkSet& keys, std::string_view kid) {
  if (kid.empty()) return keys.size() == 1 ? &keys.front() : nullptr;
  for (const auto& key : keys) {
    if (key.kid == kid) return &key;
  }
  return nullptr;
}

}  // namespace relay::infra
