// The ClientHello peek: a real wolfSSL ClientHello, every prefix of it, split
// records, and hand-built messages for the fields and the malformed cases.
#include "ringway/tls/client_hello.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "memory_client.h"

namespace ringway::tls {
namespace {

std::string number(std::uint32_t value, int bytes) {
  std::string text;
  for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8) {
    text += static_cast<char>((value >> shift) & 0xff);
  }
  return text;
}

std::string extension(std::uint16_t type, const std::string& data) {
  return number(type, 2) + number(static_cast<std::uint32_t>(data.size()), 2) + data;
}

std::string server_name(const std::string& name) {
  std::string entry =
      std::string(1, '\0') + number(static_cast<std::uint32_t>(name.size()), 2) + name;
  return extension(0, number(static_cast<std::uint32_t>(entry.size()), 2) + entry);
}

std::string u16_list(const std::vector<std::uint16_t>& values, int length_bytes) {
  std::string list;
  for (std::uint16_t value : values) list += number(value, 2);
  return number(static_cast<std::uint32_t>(list.size()), length_bytes) + list;
}

std::string groups(const std::vector<std::uint16_t>& values) {
  return extension(10, u16_list(values, 2));
}

std::string versions(const std::vector<std::uint16_t>& values) {
  return extension(43, u16_list(values, 1));
}

// A ClientHello message (handshake header included); no extensions block at all
// when extensions is empty and with_extensions is false.
std::string hello_message(const std::string& extensions, bool with_extensions = true) {
  std::string body = "\x03\x03" + std::string(32, 'r') + std::string(1, '\0') +
                     u16_list({0x1301, 0xc02b}, 2) + std::string("\x01\x00", 2);
  if (with_extensions)
    body += number(static_cast<std::uint32_t>(extensions.size()), 2) + extensions;
  return std::string(1, '\x01') + number(static_cast<std::uint32_t>(body.size()), 3) + body;
}

// The message as handshake records of at most record_bytes of payload each.
std::string records(const std::string& message, std::size_t record_bytes = 16384) {
  std::string wire;
  for (std::size_t offset = 0; offset < message.size(); offset += record_bytes) {
    std::string payload = message.substr(offset, record_bytes);
    wire += "\x16\x03\x01" + number(static_cast<std::uint32_t>(payload.size()), 2) + payload;
  }
  return wire;
}

// The returned name points into copies that live until the next peek.
ClientHello peek(const std::string& input) {
  static std::string kept_input;
  static std::string scratch;
  kept_input = input;
  return peek_client_hello(kept_input, scratch);
}

std::string wolfssl_client_hello(const std::string& name) {
  testing::ClientOptions options;
  options.server_name = name;
  testing::MemoryClient client(options);
  client.connect();
  return client.to_server;
}

TEST(ClientHello, ReadsWolfSslsClientHello) {
  std::string input = wolfssl_client_hello("a.test");
  ClientHello hello = peek(input);
  ASSERT_EQ(hello.status, ClientHelloStatus::complete);
  EXPECT_EQ(hello.server_name, "a.test");
  EXPECT_TRUE(hello.offers_tls13);
  EXPECT_TRUE(hello.lists_groups);
  EXPECT_TRUE(hello.offers_x25519 || hello.offers_p256);
  EXPECT_EQ(peek(input + "more bytes after it").server_name, "a.test");
}

TEST(ClientHello, EveryPrefixIsPartial) {
  std::string input = wolfssl_client_hello("prefix.test");
  for (std::size_t size = 0; size < input.size(); ++size) {
    ASSERT_EQ(peek(input.substr(0, size)).status, ClientHelloStatus::partial) << size;
  }
}

TEST(ClientHello, MessageSplitOverRecordsIsJoined) {
  std::string message = hello_message(server_name("split.test") + versions({0x0304, 0x0303}));
  for (std::size_t record_bytes : {1, 2, 3, 5, 40}) {
    std::string input = records(message, record_bytes);
    ClientHello hello = peek(input);
    ASSERT_EQ(hello.status, ClientHelloStatus::complete) << record_bytes;
    EXPECT_EQ(hello.server_name, "split.test") << record_bytes;
    EXPECT_TRUE(hello.offers_tls13);
    EXPECT_EQ(peek(input.substr(0, input.size() - 1)).status, ClientHelloStatus::partial);
  }
}

TEST(ClientHello, Fields) {
  ClientHello none = peek(records(hello_message("", false)));
  ASSERT_EQ(none.status, ClientHelloStatus::complete);
  EXPECT_TRUE(none.server_name.empty());
  EXPECT_FALSE(none.offers_tls13 || none.lists_groups || none.offers_x25519 || none.offers_p256);

  ClientHello tls12 =
      peek(records(hello_message(groups({24, 25}) + versions({0x0303}) + server_name(""))));
  ASSERT_EQ(tls12.status, ClientHelloStatus::complete);
  EXPECT_TRUE(tls12.lists_groups);
  EXPECT_FALSE(tls12.offers_x25519 || tls12.offers_p256 || tls12.offers_tls13);
  EXPECT_TRUE(tls12.server_name.empty());

  ClientHello both = peek(records(hello_message(groups({24, 23, 29}) + extension(0xff01, "x"))));
  EXPECT_TRUE(both.offers_x25519 && both.offers_p256);

  // The first host_name counts; other name types are skipped.
  std::string entries =
      std::string(1, '\x07') + number(2, 2) + "zz" + std::string(1, '\0') + number(6, 2) + "a.test";
  ClientHello typed = peek(records(hello_message(
      extension(0, number(static_cast<std::uint32_t>(entries.size()), 2) + entries))));
  EXPECT_EQ(typed.server_name, "a.test");
}

// A ClientHello body from its parts, with the handshake header.
std::string message_of(const std::string& session_id, const std::string& suites,
                       const std::string& rest) {
  std::string body = "\x03\x03" + std::string(32, 'r') +
                     number(static_cast<std::uint32_t>(session_id.size()), 1) + session_id +
                     number(static_cast<std::uint32_t>(suites.size()), 2) + suites +
                     std::string("\x01\x00", 2) + rest;
  return std::string(1, '\x01') + number(static_cast<std::uint32_t>(body.size()), 3) + body;
}

TEST(ClientHello, MalformedIsInvalid) {
  std::string good = hello_message(server_name("a.test"));
  std::string one_suite = number(0x1301, 2);
  std::string name_block = server_name("a.test");
  std::vector<std::pair<const char*, std::string>> cases = {
      {"plain HTTP", "GET / HTTP/1.1\r\nHost: a.test\r\n\r\n"},
      {"alert record", "\x15\x03\x03" + number(2, 2) + "\x02\x28"},
      {"SSL 2 version", "\x16\x02\x00" + number(4, 2) + "abcd"},
      {"empty record", "\x16\x03\x01" + number(0, 2)},
      {"record over 16 KB", "\x16\x03\x01" + number(16385, 2)},
      {"ServerHello", records("\x02" + good.substr(1))},
      {"message over the limit", records("\x01" + number(client_hello_bytes_max, 3), 4)},
      {"session id over 32 bytes", records(message_of(std::string(33, 's'), one_suite, ""))},
      {"no cipher suites", records(message_of("", "", ""))},
      {"odd cipher suites length", records(message_of("", "abc", ""))},
      {"extension longer than the block",
       records(message_of("", one_suite, number(9, 2) + number(0, 2) + number(50, 2) + "short"))},
      {"bytes after the extensions",
       records(message_of(
           "", one_suite,
           number(static_cast<std::uint32_t>(name_block.size()), 2) + name_block + "x"))},
      {"odd groups list", records(hello_message(extension(10, number(3, 2) + "abc")))},
      {"versions list odd", records(hello_message(extension(43, number(3, 1) + "abc")))},
      {"server_name list cut short",
       records(hello_message(extension(0, number(9, 2) + std::string(1, '\0'))))},
  };
  for (const auto& [name, input] : cases) {
    EXPECT_EQ(peek(input).status, ClientHelloStatus::invalid) << name;
  }
}

}  // namespace
}  // namespace ringway::tls
