// Loading one certbot live/<name>/ directory: read, validate, build contexts.
#include "credential.h"

#include "key_match.h"

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/hash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
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

// One certificate of a chain: its DER and wolfSSL's parse of it (which points
// into the DER, so neither moves).
class Certificate {
 public:
  explicit Certificate(std::vector<byte> der) : der_(std::move(der)) {
    wc_InitDecodedCert(&decoded_, der_.data(), static_cast<word32>(der_.size()), nullptr);
    parsed_ = wc_ParseCert(&decoded_, CERT_TYPE, NO_VERIFY, nullptr) == 0;
  }
  Certificate(const Certificate&) = delete;
  Certificate& operator=(const Certificate&) = delete;
  ~Certificate() { wc_FreeDecodedCert(&decoded_); }

  bool parsed() const { return parsed_; }
  DecodedCert& decoded() { return decoded_; }
  const std::vector<byte>& der() const { return der_; }
  std::string subject() const { return decoded_.subject; }

 private:
  std::vector<byte> der_;
  DecodedCert decoded_{};
  bool parsed_ = false;
};
using Chain = std::vector<std::unique_ptr<Certificate>>;

// Every certificate in a PEM file, in file order.
bool parse_chain(const std::string& pem, Chain& chain, std::string& error) {
  std::size_t position = 0;
  while ((position = pem.find(pem_begin, position)) != std::string::npos) {
    std::size_t end = pem.find(pem_end, position);
    if (end == std::string::npos) {
      error = "certificate " + std::to_string(chain.size() + 1) + " is cut short";
      return false;
    }
    end += pem_end.size();
    std::vector<byte> der(end - position);  // DER is shorter than its base64
    int der_size = wc_CertPemToDer(reinterpret_cast<const unsigned char*>(pem.data() + position),
                                   static_cast<int>(end - position), der.data(),
                                   static_cast<int>(der.size()), CERT_TYPE);
    if (der_size > 0) der.resize(static_cast<std::size_t>(der_size));
    auto certificate = std::make_unique<Certificate>(std::move(der));
    if (der_size <= 0 || !certificate->parsed()) {
      error = "certificate " + std::to_string(chain.size() + 1) + " is not valid PEM/DER";
      return false;
    }
    chain.push_back(std::move(certificate));
    position = end;
  }
  if (chain.empty()) error = "no certificate in it";
  return !chain.empty();
}

struct ContextDeleter {
  void operator()(WOLFSSL_CTX* context) const { wolfSSL_CTX_free(context); }
};

// True when issuer's key made certificate's signature. Dates are not looked at:
// the leaf's expiry is reported on its own.
bool signed_by(const Certificate& certificate, const Certificate& issuer) {
  std::unique_ptr<WOLFSSL_CTX, ContextDeleter> verifier(
      wolfSSL_CTX_new(wolfSSLv23_client_method()));
  if (verifier == nullptr ||
      wolfSSL_CTX_load_verify_buffer_ex(
          verifier.get(), issuer.der().data(), static_cast<long>(issuer.der().size()),
          WOLFSSL_FILETYPE_ASN1, 0, WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY) != WOLFSSL_SUCCESS) {
    return false;  // not a CA certificate
  }
  DecodedCert checked;
  wc_InitDecodedCert(&checked, certificate.der().data(),
                     static_cast<word32>(certificate.der().size()), nullptr);
  int result = wc_ParseCert(&checked, CERT_TYPE, VERIFY_SKIP_DATE,
                            wolfSSL_CTX_GetCertManager(verifier.get()));
  wc_FreeDecodedCert(&checked);
  return result == 0;
}

// Each certificate must be issued and signed by the next one (RFC 8446 4.4.2).
bool check_chain_order(Chain& chain, std::string& error) {
  for (std::size_t index = 0; index + 1 < chain.size(); ++index) {
    Certificate& certificate = *chain[index];
    Certificate& issuer = *chain[index + 1];
    bool named = std::memcmp(certificate.decoded().issuerHash, issuer.decoded().subjectHash,
                             KEYID_SIZE) == 0;
    if (!named || !signed_by(certificate, issuer)) {
      error = "chain out of order: certificate " + std::to_string(index + 1) + " (" +
              certificate.subject() + ") is not signed by certificate " +
              std::to_string(index + 2) + " (" + issuer.subject() + "); the leaf comes first";
      return false;
    }
  }
  return true;
}

bool not_after(DecodedCert& certificate, std::int64_t& unix_s, std::string& text) {
  const byte* date = nullptr;
  byte format = 0;
  int length = 0;
  std::tm parts{};
  if (wc_GetDateInfo(certificate.afterDate, certificate.afterDateLen, &date, &format, &length) !=
          0 ||
      wc_GetDateAsCalendarTime(date, length, format, &parts) != 0) {
    return false;
  }
  unix_s = timegm(&parts);
  char line[32];
  std::strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S UTC", &parts);
  text = line;
  return true;
}

bool build_contexts(Credential& credential, const CredentialFiles& files,
                    const StoreSettings& settings, std::string& error) {
  for (std::size_t set = 0; set < std::max<std::size_t>(1, settings.context_sets); ++set) {
    WOLFSSL_CTX* context = new_server_context(settings.session_tickets, error);
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
  Chain chain;
  if (!parse_chain(files.chain_pem, chain, reason)) return fail("fullchain.pem: " + reason);
  if (!check_chain_order(chain, reason)) return fail("fullchain.pem: " + reason);

  DecodedCert& leaf = chain.front()->decoded();
  auto credential = std::make_shared<Credential>();
  credential->directory = directory;
  credential->files_digest = files.digest;
  if (!not_after(leaf, credential->not_after_unix_s, credential->not_after_text)) {
    return fail("fullchain.pem: the certificate has no readable expiry date");
  }
  if (credential->not_after_unix_s <= settings_now_unix_s(settings)) {
    return fail("certificate expired on " + credential->not_after_text);
  }
  if (leaf.keyOID == ECDSAk) {
    credential->key_type = KeyType::ecdsa;
  } else if (leaf.keyOID == RSAk) {
    credential->key_type = KeyType::rsa;
  } else {
    return fail("fullchain.pem: the certificate's key is neither ECDSA nor RSA");
  }
  if (!key_signs_for(files.key_pem, leaf)) {
    return fail("privkey.pem does not match the certificate in fullchain.pem");
  }
  if (!build_contexts(*credential, files, settings, reason)) {
    return fail(reason);
  }
  warning = expiry_warning(*credential, settings);
  return credential;
}

}  // namespace ringway::tls
