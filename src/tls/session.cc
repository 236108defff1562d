// The sans-I/O session: wolfSSL's I/O callbacks read from the borrowed view and
// the kept bytes, and write into the caller's output area.
#include "ringway/tls/session.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <wolfssl/options.h>
// wolfSSL's options must come first: they decide the layout of its structs.
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/random.h>

#include <algorithm>
#include <cassert>
#include <climits>
#include <cstdio>
#include <cstring>
#include <utility>

#include "credential.h"
#include "session_callbacks.h"

namespace ringway::tls {

namespace {

// One TLS record's worth of plaintext per wolfSSL_write, so a partial send can
// report how much was taken (wolfSSL retries a refused record as a whole).
constexpr std::size_t record_plaintext_bytes = 16384;

int clamp_to_int(std::size_t size) {
  return static_cast<int>(std::min<std::size_t>(size, INT_MAX));
}

// Each worker thread draws ticket IVs from its own generator: seeded once, then
// no system call and no lock per handshake.
class ThreadRandom {
 public:
  ThreadRandom() { ready_ = wc_InitRng(&rng_) == 0; }
  ThreadRandom(const ThreadRandom&) = delete;
  ThreadRandom& operator=(const ThreadRandom&) = delete;
  ~ThreadRandom() {
    if (ready_) wc_FreeRng(&rng_);
  }
  bool fill(unsigned char* data, std::size_t size) {
    return ready_ && wc_RNG_GenerateBlock(&rng_, data, static_cast<word32>(size)) == 0;
  }

 private:
  WC_RNG rng_{};
  bool ready_ = false;
};

// Tells a client session which name (SNI, and checked against the certificate's
// names) or address (checked against its IP entries: RFC 6066 keeps addresses
// out of SNI) it is connecting to. wolfSSL checks both the same way: the text
// against the certificate's names, IP entries included (WOLFSSL_IP_ALT_NAME).
bool expect_peer(WOLFSSL* ssl, const std::string& host) {
  in_addr ipv4{};
  in6_addr ipv6{};
  if (inet_pton(AF_INET, host.c_str(), &ipv4) == 1) {
    return wolfSSL_check_domain_name(ssl, host.c_str()) == WOLFSSL_SUCCESS;
  }
  if (inet_pton(AF_INET6, host.c_str(), &ipv6) == 1) {
    // wolfSSL 5.5 writes a certificate's IPv6 entries as eight groups of four
    // upper-case hex digits: "::1" must be spelled the same way.
    char text[40];
    for (std::size_t group = 0; group < 8; ++group) {
      std::snprintf(text + group * 5, sizeof text - group * 5, "%02X%02X%s",
                    ipv6.s6_addr[2 * group], ipv6.s6_addr[2 * group + 1], group < 7 ? ":" : "");
    }
    return wolfSSL_check_domain_name(ssl, text) == WOLFSSL_SUCCESS;
  }
  return wolfSSL_UseSNI(ssl, WOLFSSL_SNI_HOST_NAME, host.data(),
                        static_cast<std::uint16_t>(host.size())) == WOLFSSL_SUCCESS &&
         wolfSSL_check_domain_name(ssl, host.c_str()) == WOLFSSL_SUCCESS;
}

}  // namespace

// The callbacks' way into a session; a session is the I/O context of its WOLFSSL
// for the length of each call (bind()).
struct SessionAccess {
  static Session* of(WOLFSSL* ssl) { return static_cast<Session*>(wolfSSL_GetIOReadCtx(ssl)); }
  static std::size_t take_input(Session& session, char* buffer, std::size_t size) {
    return session.take_input(buffer, size);
  }
  static OutputArea* out(Session& session) { return session.out_; }
  static const TicketKeys& keys(Session& session) { return *session.ticket_keys_; }
};

namespace callbacks {

int receive(WOLFSSL* /*ssl*/, char* buffer, int size, void* context) {
  auto* session = static_cast<Session*>(context);
  std::size_t taken =
      SessionAccess::take_input(*session, buffer, static_cast<std::size_t>(std::max(size, 0)));
  return taken == 0 ? WOLFSSL_CBIO_ERR_WANT_READ : static_cast<int>(taken);
}

int send(WOLFSSL* /*ssl*/, char* buffer, int size, void* context) {
  OutputArea* out = SessionAccess::out(*static_cast<Session*>(context));
  if (out == nullptr || out->size >= out->capacity) return WOLFSSL_CBIO_ERR_WANT_WRITE;
  // A partial write is fine: wolfSSL keeps the rest and offers it again later.
  std::size_t bytes = std::min(out->capacity - out->size, static_cast<std::size_t>(size));
  std::memcpy(out->data + out->size, buffer, bytes);
  out->size += bytes;
  return static_cast<int>(bytes);
}

int ticket(WOLFSSL* ssl, unsigned char key_name[WOLFSSL_TICKET_NAME_SZ],
           unsigned char iv[WOLFSSL_TICKET_IV_SZ], unsigned char mac[WOLFSSL_TICKET_MAC_SZ],
           int encrypt, unsigned char* ticket, int ticket_size, int* out_size, void* /*argument*/) {
  static_assert(TicketKeys::name_bytes == WOLFSSL_TICKET_NAME_SZ);
  static_assert(CHACHA20_POLY1305_AEAD_IV_SIZE <= WOLFSSL_TICKET_IV_SZ);
  const TicketKeys& keys = SessionAccess::keys(*SessionAccess::of(ssl));
  const TicketKeys::Key* key = &keys.current();
  bool is_current = true;
  if (encrypt != 0) {
    thread_local ThreadRandom random;
    std::memcpy(key_name, key->name.data(), TicketKeys::name_bytes);
    if (!random.fill(iv, WOLFSSL_TICKET_IV_SZ)) return WOLFSSL_TICKET_RET_FATAL;
  } else {
    key = keys.find(key_name, is_current);
    if (key == nullptr) return WOLFSSL_TICKET_RET_REJECT;  // rotated out: a full handshake
  }
  // The key name, IV and length are authenticated with the ticket.
  unsigned char aad[WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ + 2];
  std::memcpy(aad, key_name, WOLFSSL_TICKET_NAME_SZ);
  std::memcpy(aad + WOLFSSL_TICKET_NAME_SZ, iv, WOLFSSL_TICKET_IV_SZ);
  aad[sizeof aad - 2] = static_cast<unsigned char>(ticket_size >> 8);
  aad[sizeof aad - 1] = static_cast<unsigned char>(ticket_size);
  auto size = static_cast<word32>(ticket_size);
  int result = encrypt != 0 ? wc_ChaCha20Poly1305_Encrypt(key->secret.data(), iv, aad, sizeof aad,
                                                          ticket, size, ticket, mac)
                            : wc_ChaCha20Poly1305_Decrypt(key->secret.data(), iv, aad, sizeof aad,
                                                          ticket, size, mac, ticket);
  if (result != 0) return encrypt != 0 ? WOLFSSL_TICKET_RET_FATAL : WOLFSSL_TICKET_RET_REJECT;
  *out_size = ticket_size;
  // A ticket under the previous key still resumes, and the client gets a fresh one.
  return is_current ? WOLFSSL_TICKET_RET_OK : WOLFSSL_TICKET_RET_CREATE;
}

}  // namespace callbacks

Session::Session(Session&& other) noexcept {
  *this = std::move(other);
}

Session& Session::operator=(Session&& other) noexcept {
  if (this == &other) return *this;
  reset();
  ssl_ = std::exchange(other.ssl_, nullptr);
  store_ = std::move(other.store_);
  ticket_keys_ = std::move(other.ticket_keys_);
  set_ = other.set_;
  server_name_ = std::move(other.server_name_);
  client_context_ = std::move(other.client_context_);
  client_ = std::exchange(other.client_, false);
  pending_ = std::move(other.pending_);
  pending_bytes_ = std::exchange(other.pending_bytes_, 0);
  pending_offset_ = std::exchange(other.pending_offset_, 0);
  pending_capacity_ = std::exchange(other.pending_capacity_, 0);
  established_ = std::exchange(other.established_, false);
  failed_ = std::exchange(other.failed_, false);
  failure_reason_ = std::exchange(other.failure_reason_, {});
  return *this;
}

Session::~Session() {
  reset();
}

bool Session::open_server(std::shared_ptr<const CertificateStore> store, std::size_t set,
                          std::shared_ptr<const TicketKeys> keys) {
  reset();
  if (store == nullptr || keys == nullptr || store->default_context(set) == nullptr) return false;
  // The WOLFSSL comes with the ClientHello (start_server_handshake): a connection
  // that has sent nothing yet holds no TLS state.
  store_ = std::move(store);
  ticket_keys_ = std::move(keys);
  set_ = set;
  return true;
}

bool Session::open_client(std::shared_ptr<const ClientContext> context, const std::string& host) {
  reset();
  if (context == nullptr) return false;
  ssl_ = wolfSSL_new(context->context_);
  if (ssl_ == nullptr) return false;
  client_ = true;
  client_context_ = std::move(context);
  char protocol[] = "http/1.1";
  if (!expect_peer(ssl_, host) ||
      wolfSSL_UseALPN(ssl_, protocol, sizeof protocol - 1, WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) !=
          WOLFSSL_SUCCESS) {
    reset();
    return false;
  }
  return true;
}

void Session::reset() {
  if (ssl_ != nullptr) wolfSSL_free(ssl_);
  ssl_ = nullptr;
  store_.reset();
  ticket_keys_.reset();
  server_name_.clear();
  client_context_.reset();
  client_ = false;
  pending_.reset();
  pending_bytes_ = pending_offset_ = pending_capacity_ = 0;
  established_ = failed_ = false;
  failure_reason_ = {};
}

void Session::bind(std::string_view ciphertext, OutputArea* out) {
  borrowed_ = ciphertext;
  out_ = out;
  if (ssl_ == nullptr) return;  // a server session before its ClientHello
  wolfSSL_SetIOReadCtx(ssl_, this);
  wolfSSL_SetIOWriteCtx(ssl_, this);
}

std::size_t Session::take_input(char* buffer, std::size_t size) {
  std::size_t taken = 0;
  if (pending_offset_ < pending_bytes_) {
    taken = std::min<std::size_t>(size, pending_bytes_ - pending_offset_);
    std::memcpy(buffer, pending_.get() + pending_offset_, taken);
    pending_offset_ += static_cast<std::uint32_t>(taken);
  }
  std::size_t from_view = std::min(size - taken, borrowed_.size());
  if (from_view == 0) return taken;  // an empty view may be null: no memcpy from it
  std::memcpy(buffer + taken, borrowed_.data(), from_view);
  borrowed_.remove_prefix(from_view);
  return taken + from_view;
}

void Session::keep_unconsumed() {
  std::size_t kept = pending_bytes_ - pending_offset_;
  std::size_t total = kept + borrowed_.size();
  if (total == 0) {
    // An idle session holds nothing but wolfSSL's own state.
    pending_.reset();
    pending_bytes_ = pending_offset_ = pending_capacity_ = 0;
    return;
  }
  if (total > pending_capacity_) {
    // Doubling: a ClientHello trickling in a byte at a time is copied O(n) times, not O(n^2).
    std::size_t capacity = std::max<std::size_t>(total, 2 * std::size_t{pending_capacity_});
    auto grown = std::make_unique<char[]>(capacity);
    if (kept > 0) std::memcpy(grown.get(), pending_.get() + pending_offset_, kept);
    pending_ = std::move(grown);
    pending_capacity_ = static_cast<std::uint32_t>(capacity);
  } else if (pending_offset_ > 0 && kept > 0) {
    std::memmove(pending_.get(), pending_.get() + pending_offset_, kept);
  }
  if (!borrowed_.empty()) std::memcpy(pending_.get() + kept, borrowed_.data(), borrowed_.size());
  pending_bytes_ = static_cast<std::uint32_t>(total);
  pending_offset_ = 0;
  borrowed_ = {};
}

SessionResult Session::fail(int wolfssl_result) {
  int error = wolfSSL_get_error(ssl_, wolfssl_result);
  switch (error) {
    case WOLFSSL_ERROR_WANT_READ:
      return {SessionStatus::want_input};
    case WOLFSSL_ERROR_WANT_WRITE:
      return {SessionStatus::need_output_room};
    case WOLFSSL_ERROR_ZERO_RETURN:
      return {SessionStatus::closed};
    default:
      failed_ = true;
      failure_reason_ = wolfSSL_ERR_reason_error_string(static_cast<unsigned long>(error));
      if (failure_reason_.empty()) failure_reason_ = "TLS failure";
      return {SessionStatus::failed};
  }
}

SessionResult Session::advance(std::span<char> plaintext) {
  SessionResult result;
  if (!established_) {
    // Resuming after out was full, wolfSSL 5.5's TLS 1.3 handshake can fail with no
    // error set: it wants to be called again, once out has room. A bound keeps a
    // wolfSSL bug from becoming a busy loop.
    int (*handshake)(WOLFSSL*) = client_ ? wolfSSL_connect : wolfSSL_accept;
    int done = handshake(ssl_);
    for (int retries = 0; done != WOLFSSL_SUCCESS && retries < 16; ++retries) {
      if (wolfSSL_get_error(ssl_, done) != WOLFSSL_ERROR_NONE) break;
      if (out_->size == out_->capacity) return {SessionStatus::need_output_room};
      done = handshake(ssl_);
    }
    if (done != WOLFSSL_SUCCESS) return fail(done);
    established_ = true;
    result.handshake_completed = true;
  }
  // Decrypt as much as fits: every record wolfSSL reads here is one the session
  // does not have to copy out of the borrowed buffer.
  std::size_t written = 0;
  while (written < plaintext.size()) {
    int bytes =
        wolfSSL_read(ssl_, plaintext.data() + written, clamp_to_int(plaintext.size() - written));
    if (bytes <= 0) {
      SessionResult stopped = fail(bytes);
      stopped.plaintext_bytes = written;
      stopped.handshake_completed = result.handshake_completed;
      return stopped;
    }
    written += static_cast<std::size_t>(bytes);
  }
  result.status = SessionStatus::plaintext_full;
  result.plaintext_bytes = written;
  return result;
}

bool Session::start_server_handshake() {
  if (pending_offset_ < pending_bytes_ && !borrowed_.empty()) keep_unconsumed();
  std::string_view received =
      pending_offset_ < pending_bytes_
          ? std::string_view(pending_.get() + pending_offset_, pending_bytes_ - pending_offset_)
          : borrowed_;
  std::string joined;  // used only by a ClientHello split over several records
  ClientHello hello = peek_client_hello(received, joined);
  if (hello.status == ClientHelloStatus::partial) return false;
  // An invalid hello goes to wolfSSL on the default site, which answers it with an alert.
  WOLFSSL* ssl = wolfSSL_new(store_->find(hello.server_name, set_));
  if (ssl == nullptr || !prepare_server_session(ssl, hello)) {
    if (ssl != nullptr) wolfSSL_free(ssl);
    failed_ = true;
    failure_reason_ = "no memory for a TLS session";
    return false;
  }
  ssl_ = ssl;
  server_name_.assign(hello.server_name);
  wolfSSL_SetIOReadCtx(ssl_, this);
  wolfSSL_SetIOWriteCtx(ssl_, this);
  return true;
}

SessionResult Session::receive(std::string_view ciphertext, std::span<char> plaintext,
                               OutputArea& out) {
  assert(is_open() && !plaintext.empty());
  if (failed_) return {SessionStatus::failed};
  bind(ciphertext, &out);
  SessionResult result;  // want_input while a server's ClientHello is still coming
  if (ssl_ != nullptr || start_server_handshake()) {
    result = advance(plaintext);
  } else if (failed_) {
    result.status = SessionStatus::failed;
  }
  keep_unconsumed();
  out_ = nullptr;
  return result;
}

SessionResult Session::send(std::string_view plaintext, OutputArea& out) {
  assert(ssl_ != nullptr && established_);
  if (failed_) return {SessionStatus::failed};
  bind({}, &out);
  SessionResult result{SessionStatus::done};
  while (result.plaintext_bytes < plaintext.size()) {
    std::size_t chunk = std::min(record_plaintext_bytes, plaintext.size() - result.plaintext_bytes);
    int bytes =
        wolfSSL_write(ssl_, plaintext.data() + result.plaintext_bytes, static_cast<int>(chunk));
    if (bytes <= 0) {
      std::size_t taken = result.plaintext_bytes;
      result = fail(bytes);
      result.plaintext_bytes = taken;
      break;
    }
    result.plaintext_bytes += static_cast<std::size_t>(bytes);
  }
  out_ = nullptr;
  return result;
}

SessionResult Session::close(OutputArea& out) {
  assert(is_open());
  if (failed_) return {SessionStatus::failed};
  if (ssl_ == nullptr) return {SessionStatus::done};  // no ClientHello yet: nothing to close
  bind({}, &out);
  int result = wolfSSL_shutdown(ssl_);
  out_ = nullptr;
  // WOLFSSL_SHUTDOWN_NOT_DONE means our close_notify is out and the peer's has
  // not come: a server does not wait for it.
  if (result == WOLFSSL_SUCCESS || result == WOLFSSL_SHUTDOWN_NOT_DONE) {
    return {SessionStatus::done};
  }
  return fail(result);
}

std::string_view Session::alpn() const {
  if (ssl_ == nullptr) return {};
  char* name = nullptr;
  word16 size = 0;
  if (wolfSSL_ALPN_GetProtocol(ssl_, &name, &size) != WOLFSSL_SUCCESS || name == nullptr) return {};
  return {name, size};
}

std::string_view Session::protocol_version() const {
  if (ssl_ == nullptr || !established_) return {};
  const char* version = wolfSSL_get_version(ssl_);
  return version != nullptr ? version : "";
}

std::string_view Session::cipher() const {
  if (ssl_ == nullptr || !established_) return {};
  const char* name = wolfSSL_get_cipher_name(ssl_);
  return name != nullptr ? name : "";
}

bool Session::resumed() const {
  return ssl_ != nullptr && wolfSSL_session_reused(ssl_);
}

}  // namespace ringway::tls
