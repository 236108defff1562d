#pragma once
// Private to src/tls/: whether a private key belongs to a certificate, decided
// by signing with one and verifying with the other.

#include <wolfssl/options.h>
// wolfSSL's options must come first: they decide the layout of its structs.
#include <wolfssl/wolfcrypt/asn.h>

#include <string>

namespace ringway::tls {

// True when key_pem (PKCS#8 or traditional PEM, ECDSA or RSA) signs a message
// that leaf's public key verifies. wolfSSL_CTX_check_private_key alone is not
// enough: Debian's build accepts a mismatched ECDSA key, and clients would then
// fail every handshake.
bool key_signs_for(const std::string& key_pem, DecodedCert& leaf);

}  // namespace ringway::tls
