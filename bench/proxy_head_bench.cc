// The per-request head work of the proxy path: parsing an upstream response head,
// rewriting the request and response heads, and scanning a chunked body.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "ringway/http/chunked_scanner.h"
#include "ringway/http/request_parser.h"
#include "ringway/http/request_rewriter.h"
#include "ringway/http/response_parser.h"
#include "ringway/http/response_rewriter.h"

namespace {

using ringway::http::OutputArea;
using ringway::http::ResponseHead;
using ringway::http::ResponseParseStatus;

constexpr std::string_view nginx_response =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx/1.24.0\r\n"
    "Date: Wed, 25 Nov 2026 22:51:55 GMT\r\n"
    "Content-Type: application/x-gzip\r\n"
    "Content-Length: 104857600\r\n"
    "Last-Modified: Mon, 23 Nov 2026 10:00:00 GMT\r\n"
    "Connection: keep-alive\r\n"
    "ETag: \"6560a1b0-6400000\"\r\n"
    "Accept-Ranges: bytes\r\n"
    "\r\n";

constexpr std::string_view small_response =
    "HTTP/1.1 200 OK\r\n"
    "Content-Length: 1024\r\n"
    "\r\n";

constexpr std::string_view browser_request =
    "GET /packages/ocaml/ocaml.5.1.0/ HTTP/1.1\r\n"
    "Host: opam.example.org\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://opam.example.org/packages/\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=8f2c1e9a7b; theme=dark\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "\r\n";

void parse_repeatedly(benchmark::State& state, std::string_view response) {
  ResponseHead head;
  for (auto _ : state) {
    benchmark::DoNotOptimize(response.data());
    const auto result = ringway::http::parse_response_head(response, head);
    if (result.status != ResponseParseStatus::complete) state.SkipWithError("did not parse");
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(head);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * response.size()));
}

void parse_nginx_response(benchmark::State& state) {
  parse_repeatedly(state, nginx_response);
}
void parse_small_response(benchmark::State& state) {
  parse_repeatedly(state, small_response);
}

void rewrite_request(benchmark::State& state) {
  ringway::http::RequestHead head;
  if (ringway::http::parse_request_head(browser_request, head).status !=
      ringway::http::ParseStatus::complete) {
    state.SkipWithError("request did not parse");
    return;
  }
  const ringway::http::ProxyHeadOptions options{.client_address = "203.0.113.7",
                                                .client_https = true,
                                                .hop_header_name = "X-Ringway-Hop",
                                                .hop_header_value = "1"};
  char bytes[4096];
  for (auto _ : state) {
    OutputArea out{bytes, 0, sizeof bytes};
    if (!ringway::http::write_proxied_request_head(out, head, options)) {
      state.SkipWithError("did not fit");
    }
    benchmark::DoNotOptimize(bytes);
    benchmark::ClobberMemory();
  }
}

void rewrite_response(benchmark::State& state) {
  ResponseHead head;
  if (ringway::http::parse_response_head(nginx_response, head).status !=
      ResponseParseStatus::complete) {
    state.SkipWithError("response did not parse");
    return;
  }
  const ringway::http::ProxyResponseOptions options{
      .keep_alive = true, .strict_transport_security = "max-age=31536000"};
  char bytes[4096];
  for (auto _ : state) {
    OutputArea out{bytes, 0, sizeof bytes};
    if (!ringway::http::write_proxied_response_head(out, head, options)) {
      state.SkipWithError("did not fit");
    }
    benchmark::DoNotOptimize(bytes);
    benchmark::ClobberMemory();
  }
}

// A 1 MiB body in 16 KiB chunks, scanned in 64 KiB reads as the relay would.
void scan_chunked_body(benchmark::State& state) {
  std::string body;
  const std::string chunk(16384, 'x');
  for (int index = 0; index < 64; ++index) body += "4000\r\n" + chunk + "\r\n";
  body += "0\r\n\r\n";
  for (auto _ : state) {
    ringway::http::ChunkedScanner scanner;
    for (std::size_t offset = 0; offset < body.size(); offset += 65536) {
      benchmark::DoNotOptimize(scanner.scan(std::string_view(body).substr(offset, 65536)));
    }
    if (!scanner.done()) state.SkipWithError("body did not end");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
}

BENCHMARK(parse_nginx_response);
BENCHMARK(parse_small_response);
BENCHMARK(rewrite_request);
BENCHMARK(rewrite_response);
BENCHMARK(scan_chunked_body);

}  // namespace
