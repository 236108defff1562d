// ringway's TLS policy, in one place: every server context and session is set up here.
#include <mutex>

#include "credential.h"
#include "session_callbacks.h"

namespace ringway::tls {

namespace {

// TLS 1.3 suites first, then TLS 1.2 with ECDHE and AEAD only (no CBC, no static
// RSA, no DHE). set_ciphersuites is not exported by wolfSSL 5.5, so the TLS 1.3
// names go in the same list.
constexpr const char* cipher_list =
    "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

void initialize_library() {
  static std::once_flag once;
  std::call_once(once, [] { wolfSSL_Init(); });
}

}  // namespace

WOLFSSL_CTX* new_server_context(bool session_tickets, std::string& error) {
  initialize_library();
  WOLFSSL_CTX* context = wolfSSL_CTX_new(wolfSSLv23_server_method());
  if (context == nullptr) {
    error = "wolfSSL could not allocate a server context";
    return nullptr;
  }
  // TLS 1.3 key shares; TLS 1.2's ECDHE curves are checked in prepare_server_session.
  int groups[] = {WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1};
  bool ok = wolfSSL_CTX_SetMinVersion(context, WOLFSSL_TLSV1_2) == WOLFSSL_SUCCESS &&
            wolfSSL_CTX_set_cipher_list(context, cipher_list) == WOLFSSL_SUCCESS &&
            wolfSSL_CTX_set_groups(context, groups, 2) == WOLFSSL_SUCCESS;
  if (!ok) {
    wolfSSL_CTX_free(context);
    error = "wolfSSL refused ringway's TLS policy (versions, ciphers or groups)";
    return nullptr;
  }
  wolfSSL_CTX_set_options(context, WOLFSSL_OP_CIPHER_SERVER_PREFERENCE);
  // Clients are not asked for certificates.
  wolfSSL_CTX_set_verify(context, WOLFSSL_VERIFY_NONE, nullptr);
  // Resumption only through tickets: wolfSSL's server session cache is one
  // table for the process behind locks, and no worker should touch it.
  wolfSSL_CTX_set_session_cache_mode(context, WOLFSSL_SESS_CACHE_OFF);
  wolfSSL_CTX_set_TicketEncCb(context, callbacks::ticket);
  // TLS 1.2 ticket resumption with wolfSSL 5.5.4 broke the handshake in our
  // tests (the client saw messages out of order), so TLS 1.2 clients get full
  // handshakes and TLS 1.3 clients, nearly all of them, resume.
  wolfSSL_CTX_NoTicketTLSv12(context);
  if (!session_tickets) wolfSSL_CTX_no_ticket_TLSv13(context);
  // Every session made from the context starts with its I/O callbacks.
  wolfSSL_CTX_SetIORecv(context, callbacks::receive);
  wolfSSL_CTX_SetIOSend(context, callbacks::send);
  return context;
}

bool prepare_server_session(WOLFSSL* ssl, const ClientHello& hello) {
  // A client that offers only h2 gets no ALPN answer and may still speak HTTP/1.1.
  char http_1_1[] = "http/1.1";
  if (wolfSSL_UseALPN(ssl, http_1_1, sizeof http_1_1 - 1, WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) !=
      WOLFSSL_SUCCESS) {
    return false;
  }
  // wolfSSL's group list binds TLS 1.3 key shares only. A TLS 1.2 client that
  // lists groups without X25519 or P-256 gets TLS 1.3 as this session's lowest
  // version, so wolfSSL refuses it with an alert instead of picking another curve.
  // (Setting TLS 1.3 suites only would not do: builds with the OpenSSL layer keep
  // the TLS 1.2 suites then, as OpenSSL's set_cipher_list does.)
  bool tls12_groups_refused =
      !hello.offers_tls13 && hello.lists_groups && !hello.offers_x25519 && !hello.offers_p256;
  return !tls12_groups_refused || wolfSSL_SetMinVersion(ssl, WOLFSSL_TLSV1_3) == WOLFSSL_SUCCESS;
}

}  // namespace ringway::tls
