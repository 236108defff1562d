#include "ringway/tls/client_context.h"

#include <wolfssl/options.h>
// wolfSSL's options must come first: they decide the layout of its structs.
#include <wolfssl/ssl.h>

#include "session_callbacks.h"

namespace ringway::tls {

std::shared_ptr<const ClientContext> ClientContext::create(const std::string& ca_file,
                                                           std::string& error) {
  static const int initialized = wolfSSL_Init();  // once, on the first (control) thread
  (void)initialized;
  WOLFSSL_CTX* context = wolfSSL_CTX_new(wolfSSLv23_client_method());
  if (context == nullptr) {
    error = "wolfSSL could not allocate a client context";
    return nullptr;
  }
  std::shared_ptr<const ClientContext> result(new ClientContext(context));
  if (wolfSSL_CTX_SetMinVersion(context, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS) {
    error = "wolfSSL refused TLS 1.2 as the lowest version";
    return nullptr;
  }
  // A system bundle may hold a certificate this wolfSSL cannot parse: the others
  // still count, and a file with none usable is refused below.
  int loaded = wolfSSL_CTX_load_verify_locations_ex(context, ca_file.c_str(), nullptr,
                                                    WOLFSSL_LOAD_FLAG_IGNORE_ERR);
  if (loaded != WOLFSSL_SUCCESS) {
    error = ca_file + ": no CA certificate could be loaded (missing, unreadable or not PEM)";
    return nullptr;
  }
  wolfSSL_CTX_set_verify(context, WOLFSSL_VERIFY_PEER, nullptr);
  // wolfSSL's session cache is one table for the process behind locks: upstream
  // connections are pooled instead.
  wolfSSL_CTX_set_session_cache_mode(context, WOLFSSL_SESS_CACHE_OFF);
  wolfSSL_CTX_SetIORecv(context, callbacks::receive);
  wolfSSL_CTX_SetIOSend(context, callbacks::send);
  return result;
}

ClientContext::~ClientContext() {
  wolfSSL_CTX_free(context_);
}

}  // namespace ringway::tls
