// Loading one certbot live/<name>/ directory: read, validate, build contexts.
#include "credential.h"

#include <wolfssl/openssl/evp.h>
#include <wolfssl/wolfcrypt/hash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace ringway::tls {

namespace {

constexpr std::string_view pem_begin = "-----BEGIN CERTIFICATE-----";
constexpr std::string_view pem_end = "-----END CERTIFICATE-----";

bool read_file(const std::string& path, std::string& contents, std::string& error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << file.rdbuf();
  contents = buffer.str();
  return true;
}

struct X509Deleter {
  void operator()(WOLFSSL_X509* certificate) const { wolfSSL_X509_free(certificate); }
};
struct KeyDeleter {
  void operator()(WOLFSSL_EVP_PKEY* key) const { wolfSSL_EVP_PKEY_free(key); }
};
using X509Pointer = std::unique_ptr<WOLFSSL_X509, X509Deleter>;
using KeyPointer = std::unique_ptr<WOLFSSL_EVP_PKEY, KeyDeleter>;

// Every certificate in a PEM file, in file order.
bool parse_chain(const std::string& pem, std::vector<X509Pointer>& chain, std::string& error) {
  std::size_t position = 0;
  while ((position = pem.find(pem_begin, position)) != std::string::npos) {
    std::size_t end = pem.find(pem_end, position);
    if (end == std::string::npos) {
      error = "certificate " + std::to_string(chain.size() + 1) + " is cut short";
      return false;
    }
    end += pem_end.size();
    WOLFSSL_X509* certificate = wolfSSL_X509_load_certificate_buffer(
        reinterpret_cast<const unsigned char*>(pem.data() + position),
        static_cast<int>(end - position), WOLFSSL_FILETYPE_PEM);
    if (certificate == nullptr) {
      error = "certificate " + std::to_string(chain.size() + 1) + " is not valid PEM/DER";
      return false;
    }
    chain.emplace_back(certificate);
    position = end;
  }
  if (chain.empty()) error = "no certificate in it";
  return !chain.empty();
}

std::string subject_of(WOLFSSL_X509* certificate) {
  char line[256] = {};
  wolfSSL_X509_NAME_oneline(wolfSSL_X509_get_subject_name(certificate), line, sizeof line);
  return line;
}

// Each certificate must be issued and signed by the next one (RFC 8446 4.4.2).
bool check_chain_order(const std::vector<X509Pointer>& chain, std::string& error) {
  for (std::size_t index = 0; index + 1 < chain.size(); ++index) {
    WOLFSSL_X509* certificate = chain[index].get();
    WOLFSSL_X509* issuer = chain[index + 1].get();
    KeyPointer issuer_key(wolfSSL_X509_get_pubkey(issuer));
    bool named = wolfSSL_X509_NAME_cmp(wolfSSL_X509_get_issuer_name(certificate),
                                       wolfSSL_X509_get_subject_name(issuer)) == 0;
    bool signed_by =
        issuer_key != nullptr && wolfSSL_X509_verify(certificate, issuer_key.get()) == 1;
    if (!named || !signed_by) {
      error = "chain out of order: certificate " + std::to_string(index + 1) + " (" +
              subject_of(certificate) + ") is not signed by certificate " +
              std::to_string(index + 2) + " (" + subject_of(issuer) + "); the leaf comes first";
      return false;
    }
  }
  return true;
}

bool not_after(WOLFSSL_X509* certificate, std::int64_t& unix_s, std::string& text) {
  const WOLFSSL_ASN1_TIME* time = wolfSSL_X509_get_notAfter(certificate);
  std::tm parts{};
  if (time == nullptr || wolfSSL_ASN1_TIME_to_tm(time, &parts) != WOLFSSL_SUCCESS) return false;
  unix_s = timegm(&parts);
  char line[32];
  std::strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S UTC", &parts);
  text = line;
  return true;
}

struct DigestDeleter {
  void operator()(WOLFSSL_EVP_MD_CTX* context) const { wolfSSL_EVP_MD_CTX_free(context); }
};
using DigestPointer = std::unique_ptr<WOLFSSL_EVP_MD_CTX, DigestDeleter>;

// Signs with the private key and verifies with the certificate's public key.
// wolfSSL_CTX_check_private_key alone is not enough: Debian's build accepts a
// mismatched ECDSA key, and clients would then fail every handshake.
bool key_matches(const std::string& key_pem, WOLFSSL_X509* leaf) {
  std::vector<unsigned char> der(key_pem.size());
  int der_size = wc_KeyPemToDer(reinterpret_cast<const unsigned char*>(key_pem.data()),
                                static_cast<int>(key_pem.size()), der.data(),
                                static_cast<int>(der.size()), nullptr);
  const unsigned char* cursor = der.data();
  KeyPointer private_key(der_size > 0 ? wolfSSL_d2i_AutoPrivateKey(nullptr, &cursor, der_size)
                                      : nullptr);
  std::fill(der.begin(), der.end(), 0);
  KeyPointer public_key(wolfSSL_X509_get_pubkey(leaf));
  if (private_key == nullptr || public_key == nullptr) return false;
  const unsigned char message[] = "ringway checks that the key signs for the certificate";
  unsigned char signature[1024];
  std::size_t signature_size = sizeof signature;
  DigestPointer sign(wolfSSL_EVP_MD_CTX_new());
  DigestPointer verify(wolfSSL_EVP_MD_CTX_new());
  return sign != nullptr && verify != nullptr &&
         wolfSSL_EVP_DigestSignInit(sign.get(), nullptr, wolfSSL_EVP_sha256(), nullptr,
                                    private_key.get()) == WOLFSSL_SUCCESS &&
         wolfSSL_EVP_DigestSignUpdate(sign.get(), message, sizeof message) == WOLFSSL_SUCCESS &&
         wolfSSL_EVP_DigestSignFinal(sign.get(), signature, &signature_size) == WOLFSSL_SUCCESS &&
         wolfSSL_EVP_DigestVerifyInit(verify.get(), nullptr, wolfSSL_EVP_sha256(), nullptr,
                                      public_key.get()) == WOLFSSL_SUCCESS &&
         wolfSSL_EVP_DigestVerifyUpdate(verify.get(), message, sizeof message) == WOLFSSL_SUCCESS &&
         wolfSSL_EVP_DigestVerifyFinal(verify.get(), signature, signature_size) == WOLFSSL_SUCCESS;
}

bool build_contexts(Credential& credential, const CredentialFiles& files, std::size_t sets,
                    std::string& error) {
  for (std::size_t set = 0; set < sets; ++set) {
    WOLFSSL_CTX* context = new_server_context(error);
    if (context == nullptr) return false;
    credential.contexts.push_back(context);
    if (wolfSSL_CTX_use_certificate_chain_buffer(
            context, reinterpret_cast<const unsigned char*>(files.chain_pem.data()),
            static_cast<long>(files.chain_pem.size())) != WOLFSSL_SUCCESS) {
      error = "fullchain.pem: wolfSSL refused the chain";
      return false;
    }
    if (wolfSSL_CTX_use_PrivateKey_buffer(
            context, reinterpret_cast<const unsigned char*>(files.key_pem.data()),
            static_cast<long>(files.key_pem.size()), WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
      error = "privkey.pem: not a readable private key";
      return false;
    }
    if (wolfSSL_CTX_check_private_key(context) != WOLFSSL_SUCCESS) {
      error = "privkey.pem does not match the certificate in fullchain.pem";
      return false;
    }
  }
  return true;
}

}  // namespace

Credential::~Credential() {
  for (WOLFSSL_CTX* context : contexts) wolfSSL_CTX_free(context);
}

CredentialFiles read_credential_files(const std::string& directory) {
  CredentialFiles files;
  if (!read_file(directory + "/fullchain.pem", files.chain_pem, files.error) ||
      !read_file(directory + "/privkey.pem", files.key_pem, files.error)) {
    return files;
  }
  std::string both = files.chain_pem + files.key_pem;
  wc_Sha256Hash(reinterpret_cast<const byte*>(both.data()), static_cast<word32>(both.size()),
                files.digest.data());
  // The concatenation held the key too: do not leave it in freed memory.
  std::memset(both.data(), 0, both.size());
  return files;
}

std::int64_t settings_now_unix_s(const StoreSettings& settings) {
  return settings.now_unix_s != 0 ? settings.now_unix_s : static_cast<std::int64_t>(time(nullptr));
}

std::string expiry_warning(const Credential& credential, const StoreSettings& settings) {
  std::int64_t left_s = credential.not_after_unix_s - settings_now_unix_s(settings);
  if (left_s > settings.expiry_warning_s) return {};
  return credential.directory + ": certificate expires on " + credential.not_after_text + " (in " +
         std::to_string(left_s / 86400) + " days)";
}

std::shared_ptr<const Credential> load_credential(const std::string& directory,
                                                  const CredentialFiles& files,
                                                  const StoreSettings& settings, std::string& error,
                                                  std::string& warning) {
  std::string reason;
  auto fail = [&](const std::string& why) {
    error = directory + ": " + why;
    return nullptr;
  };
  std::vector<X509Pointer> chain;
  if (!parse_chain(files.chain_pem, chain, reason)) return fail("fullchain.pem: " + reason);
  if (!check_chain_order(chain, reason)) return fail("fullchain.pem: " + reason);

  auto credential = std::make_shared<Credential>();
  credential->directory = directory;
  credential->files_digest = files.digest;
  if (!not_after(chain.front().get(), credential->not_after_unix_s, credential->not_after_text)) {
    return fail("fullchain.pem: the certificate has no readable expiry date");
  }
  if (credential->not_after_unix_s <= settings_now_unix_s(settings)) {
    return fail("certificate expired on " + credential->not_after_text);
  }
  if (!key_matches(files.key_pem, chain.front().get())) {
    return fail("privkey.pem does not match the certificate in fullchain.pem");
  }
  KeyPointer leaf_key(wolfSSL_X509_get_pubkey(chain.front().get()));
  int key_type = leaf_key != nullptr ? wolfSSL_EVP_PKEY_base_id(leaf_key.get()) : 0;
  if (key_type == EVP_PKEY_EC) {
    credential->key_type = KeyType::ecdsa;
  } else if (key_type == EVP_PKEY_RSA) {
    credential->key_type = KeyType::rsa;
  } else {
    return fail("fullchain.pem: the certificate's key is neither ECDSA nor RSA");
  }
  if (!build_contexts(*credential, files, std::max<std::size_t>(1, settings.context_sets),
                      reason)) {
    return fail(reason);
  }
  warning = expiry_warning(*credential, settings);
  return credential;
}

}  // namespace ringway::tls
