// Client-side sessions (ringway connecting to an https upstream) against
// server-side sessions, both sans-I/O, pumped through memory.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "built_store.h"
#include "memory_client.h"
#include "ringway/tls/client_context.h"
#include "ringway/tls/session.h"
#include "test_certificates.h"

namespace ringway::tls {
namespace {

struct Fixture {
  testing::CertificateFiles files;
  testing::CertificateFiles other_ca;  // a CA the client does not trust
  std::shared_ptr<const CertificateStore> store;
  std::shared_ptr<const TicketKeys> keys = TicketKeys::generate();

  Fixture() {
    testing::LeafOptions sibling;
    sibling.live_name = sibling.common_name = "sibling.test";
    sibling.addresses = {"127.0.0.1", "::1"};
    testing::LeafOptions other;
    other.live_name = other.common_name = "other.test";
    StoreSettings settings;
    settings.sites.push_back({"sibling.test", {"sibling.test"}, {files.issue(sibling)}});
    settings.sites.push_back({"other.test", {"other.test"}, {files.issue(other)}});
    settings.default_host = "sibling.test";
    store = testing::built_store(settings);
  }
};

Fixture& fixture() {
  static Fixture instance;
  return instance;
}

std::shared_ptr<const ClientContext> context_for(const std::string& ca_file) {
  std::string error;
  std::shared_ptr<const ClientContext> context = ClientContext::create(ca_file, error);
  EXPECT_NE(context, nullptr) << error;
  return context;
}

struct Pair {
  Session client;
  Session server;
  std::string to_server;  // records the client wrote and the server has not read
  std::string to_client;
  std::string server_plaintext;
  std::string client_plaintext;
  SessionStatus client_status = SessionStatus::want_input;
  SessionStatus server_status = SessionStatus::want_input;

  explicit Pair(const std::string& host, const std::string& ca_file = fixture().files.root_pem()) {
    EXPECT_TRUE(client.open_client(context_for(ca_file), host));
    EXPECT_TRUE(server.open_server(fixture().store, 0, fixture().keys));
  }

  // Moves records both ways until neither side has anything to say or one failed.
  void pump(std::size_t chunk_bytes = 1 << 20, std::size_t out_capacity = 65536) {
    for (int round = 0; round < 20; ++round) {
      std::string input = std::exchange(to_client, {});
      client_status =
          testing::feed(client, input, client_plaintext, to_server, chunk_bytes, out_capacity);
      if (to_server.empty() || client_status == SessionStatus::failed) return;
      input = std::exchange(to_server, {});
      server_status =
          testing::feed(server, input, server_plaintext, to_client, chunk_bytes, out_capacity);
      if (to_client.empty() || server_status == SessionStatus::failed) return;
    }
    ADD_FAILURE() << "still talking after 20 rounds";
  }

  bool handshake(std::size_t chunk_bytes = 1 << 20, std::size_t out_capacity = 65536) {
    pump(chunk_bytes, out_capacity);
    return client.established() && server.established();
  }
};

TEST(TlsClientSession, HandshakeWithSniAndVerifiedName) {
  Pair pair("sibling.test");
  ASSERT_TRUE(pair.handshake()) << pair.client.failure_reason() << pair.server.failure_reason();
  EXPECT_EQ(pair.server.server_name(), "sibling.test");
  EXPECT_EQ(pair.client.protocol_version(), "TLSv1.3");
  EXPECT_EQ(pair.client.alpn(), "http/1.1");
  EXPECT_EQ(pair.server.alpn(), "http/1.1");
  EXPECT_FALSE(pair.client.cipher().empty());
}

TEST(TlsClientSession, RequestAndLargeResponse) {
  Pair pair("sibling.test");
  ASSERT_TRUE(pair.handshake());
  std::string request = "GET /x HTTP/1.1\r\nHost: opam.test\r\nX-Ringway-Hop: 1\r\n\r\n";
  pair.to_server += testing::seal(pair.client, request);
  std::string response = "HTTP/1.1 200 OK\r\n\r\n" + std::string(100000, 'b');
  pair.pump();
  EXPECT_EQ(pair.server_plaintext, request);
  pair.to_client += testing::seal(pair.server, response);
  pair.pump();
  EXPECT_EQ(pair.client_plaintext, response);
  EXPECT_EQ(pair.client.buffered_input_bytes(), 0u);
}

TEST(TlsClientSession, OneByteAtATimeThroughTinyOutputAreas) {
  Pair pair("sibling.test");
  ASSERT_TRUE(pair.handshake(1, 7)) << pair.client.failure_reason() << pair.server.failure_reason();
  pair.to_server += testing::seal(pair.client, "ping", 100);
  pair.pump(1, 7);
  EXPECT_EQ(pair.server_plaintext, "ping");
  std::string response(40000, 'p');
  pair.to_client += testing::seal(pair.server, response, 100);
  pair.pump(1, 7);
  EXPECT_EQ(pair.client_plaintext, response);
}

TEST(TlsClientSession, IpAddressIsCheckedWithoutSni) {
  for (std::string address : {"127.0.0.1", "::1"}) {
    Pair pair(address);
    ASSERT_TRUE(pair.handshake()) << address << ": " << pair.client.failure_reason();
    EXPECT_EQ(pair.server.server_name(), "") << address;  // addresses never go in SNI
  }
  Pair wrong("127.0.0.2");
  EXPECT_FALSE(wrong.handshake());
  EXPECT_EQ(wrong.client_status, SessionStatus::failed);
  EXPECT_FALSE(wrong.client.failure_reason().empty());
}

TEST(TlsClientSession, CertificateForAnotherNameIsRefused) {
  Pair pair("unknown.test");  // the server answers with its default, sibling.test
  EXPECT_FALSE(pair.handshake());
  EXPECT_EQ(pair.client_status, SessionStatus::failed);
  EXPECT_FALSE(pair.client.established());
  EXPECT_FALSE(pair.client.failure_reason().empty());
}

TEST(TlsClientSession, UntrustedCaIsRefused) {
  Pair pair("sibling.test", fixture().other_ca.root_pem());
  EXPECT_FALSE(pair.handshake());
  EXPECT_EQ(pair.client_status, SessionStatus::failed);
  EXPECT_FALSE(pair.client.failure_reason().empty());
}

TEST(TlsClientSession, SessionCanBeReopened) {
  Pair pair("other.test");
  ASSERT_TRUE(pair.handshake());
  ASSERT_TRUE(pair.client.open_client(context_for(fixture().files.root_pem()), "sibling.test"));
  EXPECT_FALSE(pair.client.established());
  ASSERT_TRUE(pair.server.open_server(fixture().store, 0, fixture().keys));
  pair.to_client.clear();
  pair.to_server.clear();
  EXPECT_TRUE(pair.handshake());
  EXPECT_EQ(pair.server.server_name(), "sibling.test");
}

TEST(TlsClientContext, CaFileErrors) {
  std::string error;
  EXPECT_EQ(ClientContext::create("/nonexistent/ca.pem", error), nullptr);
  EXPECT_NE(error.find("/nonexistent/ca.pem"), std::string::npos) << error;
  std::string garbage = fixture().files.directory() + "/garbage.pem";
  std::ofstream(garbage) << "not a certificate\n";
  error.clear();
  EXPECT_EQ(ClientContext::create(garbage, error), nullptr);
  EXPECT_NE(error.find(garbage), std::string::npos) << error;
}

// The default fallback_ca: ca-certificates' bundle loads whole (installed by .ci/install-deps).
TEST(TlsClientContext, SystemBundleLoads) {
  std::string error;
  EXPECT_NE(ClientContext::create("/etc/ssl/certs/ca-certificates.crt", error), nullptr) << error;
}

}  // namespace
}  // namespace ringway::tls
