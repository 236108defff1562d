#include "memory_client.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace ringway::tls::testing {

namespace {

int client_receive(WOLFSSL* /*ssl*/, char* buffer, int size, void* context) {
  std::string& queue = static_cast<MemoryClient*>(context)->from_server;
  if (queue.empty()) return WOLFSSL_CBIO_ERR_WANT_READ;
  std::size_t bytes = std::min(queue.size(), static_cast<std::size_t>(size));
  std::memcpy(buffer, queue.data(), bytes);
  queue.erase(0, bytes);
  return static_cast<int>(bytes);
}

int client_send(WOLFSSL* /*ssl*/, char* buffer, int size, void* context) {
  static_cast<MemoryClient*>(context)->to_server.append(buffer, static_cast<std::size_t>(size));
  return size;
}

// wolfSSL calls it for the leaf certificate even without verification
// (WOLFSSL_ALWAYS_VERIFY_CB, in both builds); domain is the leaf's CN.
int record_leaf(int preverify, WOLFSSL_X509_STORE_CTX* store) {
  if (store->error_depth == 0 && store->domain != nullptr) {
    static_cast<MemoryClient*>(store->userCtx)->peer_common_name = store->domain;
  }
  return preverify;
}

WOLFSSL_METHOD* method_for(ClientOptions::Version version) {
  switch (version) {
    case ClientOptions::Version::tls13:
      return wolfTLSv1_3_client_method();
    case ClientOptions::Version::tls12:
      return wolfTLSv1_2_client_method();
    case ClientOptions::Version::tls11:
#ifndef NO_OLD_TLS
      return wolfTLSv1_1_client_method();
#else
      return nullptr;
#endif
    default:
      return wolfSSLv23_client_method();
  }
}

}  // namespace

MemoryClient::MemoryClient(const ClientOptions& options) {
  WOLFSSL_METHOD* method = method_for(options.version);
  context_ = method != nullptr ? wolfSSL_CTX_new(method) : nullptr;
  if (context_ == nullptr) {
    failed_ = true;
    return;
  }
  if (options.version == ClientOptions::Version::tls11) {
    wolfSSL_CTX_SetMinVersion(context_, WOLFSSL_TLSV1_1);
  }
  if (!options.cipher_list.empty()) {
    wolfSSL_CTX_set_cipher_list(context_, options.cipher_list.c_str());
  }
  if (options.root_pem.empty()) {
    wolfSSL_CTX_set_verify(context_, WOLFSSL_VERIFY_NONE, record_leaf);
  } else {
    wolfSSL_CTX_load_verify_locations(context_, options.root_pem.c_str(), nullptr);
    wolfSSL_CTX_set_verify(context_, WOLFSSL_VERIFY_PEER, record_leaf);
  }
  wolfSSL_CTX_SetIORecv(context_, client_receive);
  wolfSSL_CTX_SetIOSend(context_, client_send);
  ssl_ = wolfSSL_new(context_);
  wolfSSL_SetIOReadCtx(ssl_, this);
  wolfSSL_SetIOWriteCtx(ssl_, this);
  wolfSSL_SetCertCbCtx(ssl_, this);
  if (!options.server_name.empty()) {
    wolfSSL_UseSNI(ssl_, WOLFSSL_SNI_HOST_NAME, options.server_name.data(),
                   static_cast<unsigned short>(options.server_name.size()));
  }
  if (options.alpn) {
    char protocol[] = "http/1.1";
    wolfSSL_UseALPN(ssl_, protocol, sizeof protocol - 1, WOLFSSL_ALPN_FAILED_ON_MISMATCH);
  }
  // TLS 1.2 clients ask for a ticket; TLS 1.3 servers send them unasked.
  wolfSSL_UseSessionTicket(ssl_);
  if (options.resume != nullptr) wolfSSL_set_session(ssl_, options.resume);
}

MemoryClient::~MemoryClient() {
  if (ssl_ != nullptr) wolfSSL_free(ssl_);
  if (context_ != nullptr) wolfSSL_CTX_free(context_);
}

bool MemoryClient::connect() {
  if (failed_) return false;
  int result = wolfSSL_connect(ssl_);
  if (result == WOLFSSL_SUCCESS) return true;
  int error = wolfSSL_get_error(ssl_, result);
  if (error != WOLFSSL_ERROR_WANT_READ && error != WOLFSSL_ERROR_WANT_WRITE) failed_ = true;
  return false;
}

bool MemoryClient::write(const std::string& text) {
  return wolfSSL_write(ssl_, text.data(), static_cast<int>(text.size())) ==
         static_cast<int>(text.size());
}

std::string MemoryClient::read() {
  std::string text;
  char buffer[4096];
  for (;;) {
    int bytes = wolfSSL_read(ssl_, buffer, sizeof buffer);
    if (bytes <= 0) break;
    text.append(buffer, static_cast<std::size_t>(bytes));
  }
  return text;
}

SessionStatus feed(Session& session, std::string_view input, std::string& plaintext,
                   std::string& output, std::size_t chunk_bytes, std::size_t out_capacity) {
  std::vector<char> out_bytes(out_capacity);
  char plain[4096];
  SessionStatus status = SessionStatus::want_input;
  std::size_t offset = 0;
  auto flush = [&](OutputArea& out) {
    output.append(out.data, out.size);
    out.size = 0;
  };
  do {
    std::size_t bytes = std::min(chunk_bytes, input.size() - offset);
    // A copy per chunk, like a receive buffer the worker recycles right after.
    std::string view_copy(input.substr(offset, bytes));
    offset += bytes;
    OutputArea out{out_bytes.data(), 0, out_capacity};
    SessionResult result = session.receive(view_copy, plain, out);
    view_copy.assign(view_copy.size(), 'X');  // the buffer is recycled: poison it
    for (;;) {
      plaintext.append(plain, result.plaintext_bytes);
      flush(out);
      status = result.status;
      if (status != SessionStatus::plaintext_full && status != SessionStatus::need_output_room) {
        break;
      }
      result = session.receive({}, plain, out);
    }
    if (status == SessionStatus::failed || status == SessionStatus::closed) break;
  } while (offset < input.size());
  return status;
}

std::string seal(Session& session, std::string_view text, std::size_t out_capacity) {
  std::string records;
  std::string out_bytes(out_capacity, '\0');
  while (!text.empty()) {
    OutputArea out{out_bytes.data(), 0, out_capacity};
    SessionResult result = session.send(text, out);
    records.append(out.data, out.size);
    text.remove_prefix(result.plaintext_bytes);
    if (result.status == SessionStatus::failed) return {};
  }
  return records;
}

SessionStatus pump_to_server(MemoryClient& client, Session& server, std::string& plaintext,
                             std::size_t chunk_bytes, std::size_t out_capacity) {
  std::string input = std::move(client.to_server);
  client.to_server.clear();
  return feed(server, input, plaintext, client.from_server, chunk_bytes, out_capacity);
}

bool handshake(MemoryClient& client, Session& server, std::size_t chunk_bytes,
               std::size_t out_capacity) {
  std::string plaintext;
  for (int round = 0; round < 20; ++round) {
    bool client_done = client.connect();
    if (client.failed()) return false;
    if (!client.to_server.empty()) {
      SessionStatus status = pump_to_server(client, server, plaintext, chunk_bytes, out_capacity);
      if (status == SessionStatus::failed) return false;
    }
    if (client_done && server.established()) return true;
  }
  return false;
}

}  // namespace ringway::tls::testing
