#pragma once
// Private to src/tls/: the wolfSSL callbacks every context installs (server and client).
// They find their Session through the I/O context the session sets before
// each call into wolfSSL, so a context can be shared by stores and sessions.

#include <wolfssl/options.h>
// wolfSSL's options must come first: they decide the layout of its structs.
#include <wolfssl/ssl.h>

namespace ringway::tls::callbacks {

int receive(WOLFSSL* ssl, char* buffer, int size, void* context);
int send(WOLFSSL* ssl, char* buffer, int size, void* context);
int ticket(WOLFSSL* ssl, unsigned char key_name[WOLFSSL_TICKET_NAME_SZ],
           unsigned char iv[WOLFSSL_TICKET_IV_SZ], unsigned char mac[WOLFSSL_TICKET_MAC_SZ],
           int encrypt, unsigned char* ticket, int ticket_size, int* out_size, void* argument);

}  // namespace ringway::tls::callbacks
