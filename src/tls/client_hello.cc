// The ClientHello fields ringway decides on, read without a TLS library
// (RFC 8446 4.1.2 and 4.2, RFC 6066 3 for server_name).
#include "ringway/tls/client_hello.h"

#include <optional>

namespace ringway::tls {

namespace {

constexpr std::uint8_t record_handshake = 22;
constexpr std::size_t record_payload_bytes_max = 16384;  // TLSPlaintext.length, RFC 8446 5.1
constexpr std::uint8_t message_client_hello = 1;
constexpr std::size_t message_header_bytes = 4;

constexpr std::uint16_t extension_server_name = 0;
constexpr std::uint16_t extension_supported_groups = 10;
constexpr std::uint16_t extension_supported_versions = 43;
constexpr std::uint8_t name_type_host_name = 0;
constexpr std::uint16_t group_secp256r1 = 23;
constexpr std::uint16_t group_x25519 = 29;
constexpr std::uint16_t version_tls13 = 0x0304;

// Big-endian reads that fail instead of running past the end.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool empty() const { return bytes_.empty(); }
  std::optional<std::uint32_t> number(std::size_t width) {
    if (bytes_.size() < width) return std::nullopt;
    std::uint32_t value = 0;
    for (std::size_t index = 0; index < width; ++index) {
      value = value << 8 | static_cast<std::uint8_t>(bytes_[index]);
    }
    bytes_.remove_prefix(width);
    return value;
  }
  std::optional<std::string_view> bytes(std::size_t size) {
    if (bytes_.size() < size) return std::nullopt;
    std::string_view taken = bytes_.substr(0, size);
    bytes_.remove_prefix(size);
    return taken;
  }
  // A vector with a length prefix of `width` bytes (RFC 8446 3.4).
  std::optional<std::string_view> vector(std::size_t width) {
    std::optional<std::uint32_t> size = number(width);
    return size ? bytes(*size) : std::nullopt;
  }

 private:
  std::string_view bytes_;
};

// The handshake message at the start of the records in input: a view into input
// when the first record holds it all, else joined into scratch.
ClientHelloStatus join_message(std::string_view input, std::string& scratch,
                               std::string_view& message) {
  Reader records(input);
  std::size_t message_bytes = 0;  // known once the message header is in
  scratch.clear();
  for (bool first = true;; first = false) {
    std::optional<std::uint32_t> type = records.number(1);
    std::optional<std::uint32_t> version = records.number(2);
    std::optional<std::uint32_t> length = records.number(2);
    if (!length) return ClientHelloStatus::partial;
    if (*type != record_handshake || *version >> 8 != 3 || *length == 0 ||
        *length > record_payload_bytes_max) {
      return ClientHelloStatus::invalid;
    }
    std::optional<std::string_view> payload = records.bytes(*length);
    if (!payload) return ClientHelloStatus::partial;
    if (first && payload->size() >= message_header_bytes) {
      Reader header(*payload);
      if (header.number(1) != message_client_hello) return ClientHelloStatus::invalid;
      message_bytes = message_header_bytes + *header.number(3);
      if (message_bytes > client_hello_bytes_max) return ClientHelloStatus::invalid;
      if (payload->size() >= message_bytes) {
        message = payload->substr(0, message_bytes);
        return ClientHelloStatus::complete;
      }
    }
    scratch.append(*payload);
    if (message_bytes == 0 && scratch.size() >= message_header_bytes) {
      Reader header(scratch);
      if (header.number(1) != message_client_hello) return ClientHelloStatus::invalid;
      message_bytes = message_header_bytes + *header.number(3);
      if (message_bytes > client_hello_bytes_max) return ClientHelloStatus::invalid;
    }
    if (message_bytes != 0 && scratch.size() >= message_bytes) {
      message = std::string_view(scratch).substr(0, message_bytes);
      return ClientHelloStatus::complete;
    }
  }
}

bool read_server_name(std::string_view data, ClientHello& hello) {
  Reader extension(data);
  std::optional<std::string_view> list = extension.vector(2);
  if (!list || !extension.empty()) return false;
  Reader names(*list);
  while (!names.empty()) {
    std::optional<std::uint32_t> type = names.number(1);
    std::optional<std::string_view> name = names.vector(2);
    if (!name) return false;
    if (*type == name_type_host_name && hello.server_name.empty()) hello.server_name = *name;
  }
  return true;
}

bool read_groups(std::string_view data, ClientHello& hello) {
  Reader extension(data);
  std::optional<std::string_view> list = extension.vector(2);
  if (!list || !extension.empty() || list->size() % 2 != 0) return false;
  hello.lists_groups = true;
  for (Reader groups(*list); !groups.empty();) {
    std::uint32_t group = *groups.number(2);
    hello.offers_x25519 |= group == group_x25519;
    hello.offers_p256 |= group == group_secp256r1;
  }
  return true;
}

bool read_versions(std::string_view data, ClientHello& hello) {
  Reader extension(data);
  std::optional<std::string_view> list = extension.vector(1);
  if (!list || !extension.empty() || list->size() % 2 != 0) return false;
  for (Reader versions(*list); !versions.empty();) {
    hello.offers_tls13 |= *versions.number(2) == version_tls13;
  }
  return true;
}

bool read_extensions(Reader& body, ClientHello& hello) {
  if (body.empty()) return true;  // TLS 1.2 allows a ClientHello without extensions
  std::optional<std::string_view> all = body.vector(2);
  if (!all || !body.empty()) return false;
  Reader extensions(*all);
  while (!extensions.empty()) {
    std::optional<std::uint32_t> type = extensions.number(2);
    std::optional<std::string_view> data = extensions.vector(2);
    if (!data) return false;
    bool valid = true;
    if (*type == extension_server_name) valid = read_server_name(*data, hello);
    if (*type == extension_supported_groups) valid = read_groups(*data, hello);
    if (*type == extension_supported_versions) valid = read_versions(*data, hello);
    if (!valid) return false;
  }
  return true;
}

bool read_body(std::string_view message, ClientHello& hello) {
  Reader body(message.substr(message_header_bytes));
  constexpr std::size_t version_and_random_bytes = 2 + 32;
  std::optional<std::string_view> session_id;
  std::optional<std::string_view> cipher_suites;
  std::optional<std::string_view> compression_methods;
  bool fixed_part = body.bytes(version_and_random_bytes) && (session_id = body.vector(1)) &&
                    (cipher_suites = body.vector(2)) && (compression_methods = body.vector(1));
  return fixed_part && session_id->size() <= 32 && !cipher_suites->empty() &&
         cipher_suites->size() % 2 == 0 && !compression_methods->empty() &&
         read_extensions(body, hello);
}

}  // namespace

ClientHello peek_client_hello(std::string_view input, std::string& scratch) {
  ClientHello hello;
  std::string_view message;
  hello.status = join_message(input, scratch, message);
  if (hello.status != ClientHelloStatus::complete) return hello;
  if (read_body(message, hello)) return hello;
  ClientHello invalid;
  invalid.status = ClientHelloStatus::invalid;
  return invalid;
}

}  // namespace ringway::tls
