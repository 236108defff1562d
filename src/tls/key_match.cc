// Sign and verify with wolfCrypt's signature wrapper, for ECDSA and RSA keys.
#include "key_match.h"

#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/signature.h>

#include <algorithm>
#include <vector>

namespace ringway::tls {

namespace {

constexpr byte probe_message[] = "ringway checks that the key signs for the certificate";

// A wolfCrypt key of either kind, freed on the way out.
class Key {
 public:
  explicit Key(bool rsa) : rsa_(rsa) {
    ready_ = rsa_ ? wc_InitRsaKey(&rsa_key_, nullptr) == 0 : wc_ecc_init(&ecc_key_) == 0;
  }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  ~Key() {
    if (!ready_) return;
    if (rsa_) {
      wc_FreeRsaKey(&rsa_key_);
    } else {
      wc_ecc_free(&ecc_key_);
    }
  }
  bool decode_private(const byte* der, word32 size) {
    word32 index = 0;
    return ready_ && (rsa_ ? wc_RsaPrivateKeyDecode(der, &index, &rsa_key_, size)
                           : wc_EccPrivateKeyDecode(der, &index, &ecc_key_, size)) == 0;
  }
  bool decode_public(const byte* der, word32 size) {
    word32 index = 0;
    return ready_ && (rsa_ ? wc_RsaPublicKeyDecode(der, &index, &rsa_key_, size)
                           : wc_EccPublicKeyDecode(der, &index, &ecc_key_, size)) == 0;
  }
  wc_SignatureType signature_type() const {
    return rsa_ ? WC_SIGNATURE_TYPE_RSA_W_ENC : WC_SIGNATURE_TYPE_ECC;
  }
  const void* get() const { return rsa_ ? static_cast<const void*>(&rsa_key_) : &ecc_key_; }
  word32 size() const { return rsa_ ? sizeof rsa_key_ : sizeof ecc_key_; }

 private:
  bool rsa_;
  bool ready_ = false;
  RsaKey rsa_key_{};
  ecc_key ecc_key_{};
};

// The private key's DER: PKCS#8 (what certbot writes) unwrapped to the key inside.
bool private_key_der(const std::string& key_pem, std::vector<byte>& der, word32& offset,
                     word32& size) {
  der.resize(key_pem.size());
  int der_size = wc_KeyPemToDer(reinterpret_cast<const unsigned char*>(key_pem.data()),
                                static_cast<int>(key_pem.size()), der.data(),
                                static_cast<int>(der.size()), nullptr);
  if (der_size <= 0) return false;
  word32 inner = 0;
  int inner_size = wc_GetPkcs8TraditionalOffset(der.data(), &inner, static_cast<word32>(der_size));
  offset = inner_size > 0 ? inner : 0;
  size = inner_size > 0 ? static_cast<word32>(inner_size) : static_cast<word32>(der_size);
  return true;
}

bool sign_and_verify(const Key& private_key, const Key& public_key) {
  WC_RNG random;
  if (wc_InitRng(&random) != 0) return false;
  int capacity =
      wc_SignatureGetSize(private_key.signature_type(), private_key.get(), private_key.size());
  std::vector<byte> signature(static_cast<std::size_t>(std::max(capacity, 0)));
  auto signature_size = static_cast<word32>(signature.size());
  bool matches =
      capacity > 0 &&
      wc_SignatureGenerate(WC_HASH_TYPE_SHA256, private_key.signature_type(), probe_message,
                           sizeof probe_message, signature.data(), &signature_size,
                           private_key.get(), private_key.size(), &random) == 0 &&
      wc_SignatureVerify(WC_HASH_TYPE_SHA256, public_key.signature_type(), probe_message,
                         sizeof probe_message, signature.data(), signature_size, public_key.get(),
                         public_key.size()) == 0;
  wc_FreeRng(&random);
  return matches;
}

}  // namespace

bool key_signs_for(const std::string& key_pem, DecodedCert& leaf) {
  if (leaf.keyOID != RSAk && leaf.keyOID != ECDSAk) return false;
  bool rsa = leaf.keyOID == RSAk;
  std::vector<byte> der;
  word32 offset = 0;
  word32 size = 0;
  bool decoded = private_key_der(key_pem, der, offset, size);
  Key private_key(rsa);
  decoded = decoded && private_key.decode_private(der.data() + offset, size);
  std::fill(der.begin(), der.end(), 0);  // do not leave the key in freed memory
  word32 public_size = 0;
  wc_GetPubKeyDerFromCert(&leaf, nullptr, &public_size);
  std::vector<byte> public_der(public_size);
  Key public_key(rsa);
  return decoded && public_size > 0 &&
         wc_GetPubKeyDerFromCert(&leaf, public_der.data(), &public_size) == 0 &&
         public_key.decode_public(public_der.data(), public_size) &&
         sign_and_verify(private_key, public_key);
}

}  // namespace ringway::tls
