// Handshakes and records between a wolfSSL client and Session, in memory.
#include "ringway/tls/session.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "built_store.h"
#include "memory_client.h"
#include "test_certificates.h"

namespace ringway::tls {
namespace {

using testing::ClientOptions;
using testing::MemoryClient;

testing::LeafOptions leaf(std::string name, bool rsa = false) {
  testing::LeafOptions options;
  options.live_name = name.starts_with("*.") ? name.substr(2) : name;
  options.common_name = name;
  options.rsa = rsa;
  return options;
}

struct Fixture {
  testing::CertificateFiles files;
  std::shared_ptr<const CertificateStore> store;
  std::shared_ptr<const TicketKeys> keys = TicketKeys::generate();

  Fixture() {
    StoreSettings settings;
    settings.context_sets = 2;
    settings.sites.push_back({"a.test", {"a.test"}, {files.issue(leaf("a.test"))}});
    settings.sites.push_back({"b.test", {"b.test"}, {files.issue(leaf("b.test", true))}});
    settings.sites.push_back({"wild.test", {"*.wild.test"}, {files.issue(leaf("*.wild.test"))}});
    settings.default_host = "a.test";
    store = testing::built_store(settings);
  }
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

ClientOptions client_for(std::string name) {
  ClientOptions options;
  options.server_name = std::move(name);
  options.root_pem = fixture().files.root_pem();
  return options;
}

Session open_session(std::size_t set = 0) {
  Session session;
  EXPECT_TRUE(session.open_server(fixture().store, set, fixture().keys));
  return session;
}

// Sends text from the client and returns what the server decrypted.
std::string client_to_server(MemoryClient& client, Session& server, const std::string& text,
                             std::size_t chunk_bytes = 1 << 20) {
  std::string plaintext;
  EXPECT_TRUE(client.write(text));
  testing::pump_to_server(client, server, plaintext, chunk_bytes);
  return plaintext;
}

// Sends text from the server through a small output area and returns what the client read.
std::string server_to_client(MemoryClient& client, Session& server, std::string_view text,
                             std::size_t out_capacity = 65536) {
  client.from_server += testing::seal(server, text, out_capacity);
  return client.read();
}

TEST(TlsSession, Tls13HandshakeWithSniAlpnAndData) {
  MemoryClient client(client_for("a.test"));
  Session server = open_session();
  ASSERT_TRUE(testing::handshake(client, server));
  EXPECT_EQ(server.protocol_version(), "TLSv1.3");
  EXPECT_EQ(server.server_name(), "a.test");
  EXPECT_EQ(server.alpn(), "http/1.1");
  EXPECT_FALSE(server.cipher().empty());
  EXPECT_EQ(client.peer_common_name, "a.test");
  EXPECT_EQ(server.buffered_input_bytes(), 0u);

  EXPECT_EQ(client_to_server(client, server, "GET / HTTP/1.1\r\n\r\n"), "GET / HTTP/1.1\r\n\r\n");
  std::string response(100000, 'r');
  EXPECT_EQ(server_to_client(client, server, response), response);
}

TEST(TlsSession, Tls12Handshake) {
  ClientOptions options = client_for("a.test");
  options.version = ClientOptions::Version::tls12;
  MemoryClient client(options);
  Session server = open_session(1);
  ASSERT_TRUE(testing::handshake(client, server));
  EXPECT_EQ(server.protocol_version(), "TLSv1.2");
  EXPECT_EQ(server.cipher().substr(0, 6), "ECDHE-") << server.cipher();
  EXPECT_EQ(server.alpn(), "http/1.1");
  EXPECT_EQ(client_to_server(client, server, "ping"), "ping");
  EXPECT_EQ(server_to_client(client, server, "pong"), "pong");
}

TEST(TlsSession, SniChoosesTheCertificate) {
  for (auto [name, subject] :
       {std::pair{"b.test", "b.test"}, std::pair{"x.wild.test", "*.wild.test"},
        std::pair{"A.TEST", "a.test"}}) {
    ClientOptions options = client_for(name);
    options.root_pem.clear();  // A.TEST is not in the certificate's names
    MemoryClient client(options);
    Session server = open_session();
    ASSERT_TRUE(testing::handshake(client, server)) << name;
    EXPECT_EQ(client.peer_common_name, subject) << name;
  }
}

TEST(TlsSession, UnknownOrMissingSniGetsTheDefault) {
  for (std::string name : {"unknown.test", "", "a.b.wild.test"}) {
    ClientOptions options = client_for(name);
    options.root_pem.clear();
    MemoryClient client(options);
    Session server = open_session();
    ASSERT_TRUE(testing::handshake(client, server)) << name;
    EXPECT_EQ(client.peer_common_name, "a.test") << name;
  }
}

TEST(TlsSession, Tls11IsRefused) {
  ClientOptions options = client_for("a.test");
  options.version = ClientOptions::Version::tls11;
  MemoryClient client(options);
  if (client.failed()) GTEST_SKIP() << "this wolfSSL has no TLS 1.1 client to try with";
  Session server = open_session();
  EXPECT_FALSE(testing::handshake(client, server));
  EXPECT_FALSE(server.established());
  EXPECT_FALSE(server.failure_reason().empty());
}

TEST(TlsSession, NonAeadCipherIsRefused) {
  ClientOptions options = client_for("a.test");
  options.version = ClientOptions::Version::tls12;
  options.cipher_list = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA";
  MemoryClient client(options);
  Session server = open_session();
  EXPECT_FALSE(testing::handshake(client, server));
  EXPECT_FALSE(server.established());
  EXPECT_FALSE(server.failure_reason().empty());
}

TEST(TlsSession, ClientHelloIsKeptUntilWhole) {
  MemoryClient client(client_for("b.test"));
  Session server = open_session();
  client.connect();
  std::string hello = std::move(client.to_server);
  client.to_server.clear();
  std::string out_bytes(65536, '\0');
  OutputArea out{out_bytes.data(), 0, out_bytes.size()};
  char plain[256];
  std::string_view view = hello;
  SessionResult partial = server.receive(view.substr(0, view.size() - 1), plain, out);
  EXPECT_EQ(partial.status, SessionStatus::want_input);
  EXPECT_EQ(out.size, 0u);  // nothing to answer before the whole ClientHello
  EXPECT_EQ(server.buffered_input_bytes(), hello.size() - 1);
  SessionResult whole = server.receive(view.substr(view.size() - 1), plain, out);
  EXPECT_EQ(whole.status, SessionStatus::want_input);
  EXPECT_GT(out.size, 0u);  // the server's flight
  EXPECT_EQ(server.buffered_input_bytes(), 0u);
  EXPECT_EQ(server.server_name(), "b.test");
  client.from_server.append(out.data, out.size);
  ASSERT_TRUE(testing::handshake(client, server));
  EXPECT_EQ(client.peer_common_name, "b.test");
}

TEST(TlsSession, NotTlsAtAllFails) {
  Session server = open_session();
  std::string out_bytes(4096, '\0');
  OutputArea out{out_bytes.data(), 0, out_bytes.size()};
  char plain[256];
  SessionResult result = server.receive("GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", plain, out);
  EXPECT_EQ(result.status, SessionStatus::failed);
  EXPECT_FALSE(server.failure_reason().empty());
}

TEST(TlsSession, CloseBeforeAnyByteSendsNothing) {
  Session server = open_session();
  std::string out_bytes(64, '\0');
  OutputArea out{out_bytes.data(), 0, out_bytes.size()};
  EXPECT_EQ(server.close(out).status, SessionStatus::done);
  EXPECT_EQ(out.size, 0u);
}

TEST(TlsSession, OneByteAtATimeAndATinyOutputArea) {
  MemoryClient client(client_for("b.test"));
  Session server = open_session();
  ASSERT_TRUE(testing::handshake(client, server, 1, 65536));
  std::string request = "GET /split HTTP/1.1\r\nHost: b.test\r\n\r\n";
  EXPECT_EQ(client_to_server(client, server, request, 1), request);
  EXPECT_EQ(server.buffered_input_bytes(), 0u);
  std::string response(40000, 's');
  EXPECT_EQ(server_to_client(client, server, response, 100), response);
}

TEST(TlsSession, HandshakeThroughATinyOutputArea) {
  MemoryClient client(client_for("a.test"));
  Session server = open_session();
  ASSERT_TRUE(testing::handshake(client, server, 1 << 20, 7)) << server.failure_reason();
  EXPECT_EQ(client_to_server(client, server, "tiny"), "tiny");
}

TEST(TlsSession, ManyRecordsInOneViewWithASmallPlaintextArea) {
  MemoryClient client(client_for("a.test"));
  Session server = open_session();
  ASSERT_TRUE(testing::handshake(client, server));
  for (int index = 0; index < 10; ++index) client.write(std::string(1000, 'a' + index));
  std::string input = std::move(client.to_server);
  std::string out_bytes(4096, '\0');
  OutputArea out{out_bytes.data(), 0, out_bytes.size()};
  char plain[1500];
  std::string plaintext;
  SessionResult result = server.receive(input, plain, out);
  input.assign(input.size(), 'X');
  EXPECT_EQ(result.status, SessionStatus::plaintext_full);
  EXPECT_GT(server.buffered_input_bytes(), 0u);  // kept past the borrowed view
  while (result.status == SessionStatus::plaintext_full) {
    plaintext.append(plain, result.plaintext_bytes);
    result = server.receive({}, plain, out);
  }
  plaintext.append(plain, result.plaintext_bytes);
  EXPECT_EQ(result.status, SessionStatus::want_input);
  EXPECT_EQ(plaintext.size(), 10000u);
  EXPECT_EQ(server.buffered_input_bytes(), 0u);
}

TEST(TlsSession, CloseNotify) {
  MemoryClient client(client_for("a.test"));
  Session server = open_session();
  ASSERT_TRUE(testing::handshake(client, server));
  wolfSSL_shutdown(client.ssl());
  std::string plaintext;
  EXPECT_EQ(testing::pump_to_server(client, server, plaintext), SessionStatus::closed);
  std::string out_bytes(256, '\0');
  OutputArea out{out_bytes.data(), 0, out_bytes.size()};
  EXPECT_EQ(server.close(out).status, SessionStatus::done);
  EXPECT_GT(out.size, 0u);
}

// A first connection leaves the client a ticket; a second one resumes with it,
// also after one key rotation, and falls back to a full handshake after two.
void check_resumption(ClientOptions::Version version, bool tickets = true) {
  ClientOptions options = client_for("a.test");
  options.version = version;
  MemoryClient first(options);
  Session server = open_session();
  ASSERT_TRUE(testing::handshake(first, server));
  EXPECT_FALSE(server.resumed());
  // TLS 1.3 tickets arrive after the handshake: let the client read them.
  EXPECT_EQ(server_to_client(first, server, "hello"), "hello");
  WOLFSSL_SESSION* ticket = wolfSSL_get1_session(first.ssl());
  ASSERT_NE(ticket, nullptr);

  std::shared_ptr<const TicketKeys> once = fixture().keys->rotated();
  std::shared_ptr<const TicketKeys> twice = once->rotated();
  for (auto [keys, resumes] :
       {std::pair{fixture().keys, tickets}, std::pair{once, tickets}, std::pair{twice, false}}) {
    options.resume = ticket;
    MemoryClient client(options);
    Session again;
    ASSERT_TRUE(again.open_server(fixture().store, 0, keys));
    ASSERT_TRUE(testing::handshake(client, again)) << again.failure_reason();
    EXPECT_EQ(again.resumed(), resumes);
  }
  wolfSSL_SESSION_free(ticket);
}

TEST(TlsSession, ResumptionWithTicketsTls13) {
  check_resumption(ClientOptions::Version::tls13);
}
// TLS 1.2 tickets are off (server_context.cc): a client offering a saved session
// gets a clean full handshake.
TEST(TlsSession, Tls12ClientWithSavedSessionGetsAFullHandshake) {
  check_resumption(ClientOptions::Version::tls12, false);
}

TEST(TlsSession, TicketsOffMeansFullHandshakes) {
  testing::LeafOptions options = leaf("a.test");
  options.live_name = "a.test-no-tickets";
  StoreSettings settings;
  settings.session_tickets = false;
  settings.sites.push_back({"a.test", {"a.test"}, {fixture().files.issue(options)}});
  std::shared_ptr<const CertificateStore> store = CertificateStore::build(settings).store;
  ClientOptions client_options = client_for("a.test");
  client_options.version = ClientOptions::Version::tls13;
  MemoryClient first(client_options);
  Session server;
  ASSERT_TRUE(server.open_server(store, 0, fixture().keys));
  ASSERT_TRUE(testing::handshake(first, server));
  EXPECT_EQ(server_to_client(first, server, "hello"), "hello");  // a ticket would come first
  WOLFSSL_SESSION* saved = wolfSSL_get1_session(first.ssl());
  ASSERT_NE(saved, nullptr);
  client_options.resume = saved;
  MemoryClient client(client_options);
  Session again;
  ASSERT_TRUE(again.open_server(store, 0, fixture().keys));
  ASSERT_TRUE(testing::handshake(client, again)) << again.failure_reason();
  EXPECT_FALSE(again.resumed());
  wolfSSL_SESSION_free(saved);
}

TEST(TlsSession, MovedSessionKeepsWorking) {
  MemoryClient client(client_for("a.test"));
  Session first = open_session();
  ASSERT_TRUE(testing::handshake(client, first));
  Session moved = std::move(first);
  EXPECT_FALSE(first.is_open());
  EXPECT_EQ(client_to_server(client, moved, "after move"), "after move");
}

}  // namespace
}  // namespace ringway::tls
