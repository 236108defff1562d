#include "proxy_scripts.h"

namespace ringway::fake {

namespace {

std::size_t body_bytes(FakeRing& ring, std::size_t bytes_max) {
  std::uint64_t kind = ring.uniform(0, 19);
  // Mostly small; some past a receive buffer; a few past a whole output chunk
  // (64 KiB), so that backpressure pauses one side.
  std::size_t bytes = kind < 14   ? ring.uniform(0, 2000)
                      : kind < 19 ? ring.uniform(2000, 24000)
                                  : ring.uniform(66000, 140000);
  return std::min(bytes, bytes_max);
}

std::string chunked_body(FakeRing& ring, const std::string& body) {
  std::string out;
  for (std::size_t position = 0; position < body.size();) {
    std::size_t size = std::min<std::size_t>(ring.uniform(1, 5000), body.size() - position);
    char hex[20];
    int length = std::snprintf(hex, sizeof hex, "%zx\r\n", size);
    out.append(hex, static_cast<std::size_t>(length)).append(body, position, size).append("\r\n");
    position += size;
  }
  return out + "0\r\n\r\n";
}

std::string sized_target(const char* kind, std::size_t bytes, std::uint64_t salt) {
  return std::string("/") + kind + "/" + std::to_string(bytes) + "/" + std::to_string(salt);
}

}  // namespace

std::string proxy_config(bool fallback, bool acme_peer) {
  std::string http_extra =
      acme_peer ? "acme_peer = \"http://127.0.0.1:" + std::to_string(peer_port) + "\"\n" : "";
  std::string site = R"(
[https]
listen = ["127.0.0.1:443"]
[[site]]
hosts = ["p.test"]
certificate = "/etc/fake/live/p.test"
http = "proxy"
upstream = "http://127.0.0.1:)" +
                     std::to_string(local_port) + "\"\n";
  if (fallback) site += "fallback = \"http://127.0.0.1:" + std::to_string(fallback_port) + "\"\n";
  return test_config(http_extra, site);
}

std::string proxied_request(const std::string& method, const std::string& target,
                            const std::string& extra, const std::string& body) {
  return method + " " + target + " HTTP/1.1\r\nHost: p.test\r\nUser-Agent: fake\r\n" + extra +
         "\r\n" + body;
}

Exchange proxy_exchange(FakeRing& ring, const ExchangeMix& mix, bool last) {
  Exchange exchange;
  std::uint64_t salt = ring.uniform(0, 1'000'000);
  std::size_t bytes = body_bytes(ring, mix.bytes_max);
  std::uint64_t kinds = mix.bodies ? 5 : 2;
  std::uint64_t kind = ring.uniform(0, last && mix.closing ? kinds + 3 : kinds);
  switch (kind) {
    case 0:
      exchange.request = proxied_request("GET", sized_target("cl", bytes, salt));
      exchange.expect.body = body_pattern(bytes, salt);
      break;
    case 1:
      exchange.request = proxied_request("GET", sized_target("chunked", bytes, salt));
      exchange.expect.body = body_pattern(bytes, salt);
      break;
    case 2:
      exchange.request = proxied_request("HEAD", sized_target("cl", bytes, salt));
      exchange.head = true;
      break;
    case 3:
    case 4: {
      std::string body = body_pattern(bytes, salt + 1);
      exchange.request = proxied_request("POST", "/echo",
                                         "Content-Length: " + std::to_string(bytes) + "\r\n", body);
      exchange.expect.body = body;
      break;
    }
    case 5: {
      std::string body = body_pattern(bytes, salt + 2);
      exchange.request = proxied_request("POST", "/echo", "Transfer-Encoding: chunked\r\n",
                                         chunked_body(ring, body));
      exchange.expect.body = body;
      break;
    }
    case 6:
      exchange.request = proxied_request("GET", sized_target("close", bytes, salt));
      exchange.expect.body = body_pattern(bytes, salt);
      exchange.expect.closes = true;
      break;
    case 7:
      exchange.request =
          "GET " + sized_target("chunked", bytes, salt) + " HTTP/1.0\r\nHost: p.test\r\n\r\n";
      exchange.expect.body = body_pattern(bytes, salt);  // de-chunked for HTTP/1.0
      exchange.expect.closes = true;
      break;
    default:
      exchange.request =
          proxied_request("GET", sized_target("cl", bytes, salt), "Connection: close\r\n");
      exchange.expect.body = body_pattern(bytes, salt);
      exchange.expect.closes = true;
      break;
  }
  return exchange;
}

ClientScript proxy_script(FakeRing& ring, const ExchangeMix& mix, std::size_t exchanges_max) {
  ClientScript script;
  std::size_t count = ring.uniform(1, exchanges_max);
  for (std::size_t index = 0; index < count; ++index) {
    script.exchanges.push_back(proxy_exchange(ring, mix, index + 1 == count));
  }
  script.pipeline = ring.chance(0.4);
  script.end = static_cast<ClientEnd>(ring.uniform(0, 2));  // close, half_close or stay
  return script;
}

void allow_statuses(ClientScript& script, std::initializer_list<int> statuses) {
  for (Exchange& exchange : script.exchanges) {
    exchange.expect.or_status.insert(exchange.expect.or_status.end(), statuses);
  }
}

}  // namespace ringway::fake
