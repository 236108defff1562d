// Time to parse one complete request head from a single buffer, the common case.

#include <benchmark/benchmark.h>

#include <string_view>

#include "ringway/http/request_parser.h"

namespace {

using ringway::http::ParseStatus;
using ringway::http::RequestHead;

constexpr std::string_view curl_request =
    "GET /index.html HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "User-Agent: curl/8.5.0\r\n"
    "Accept: */*\r\n"
    "\r\n";

constexpr std::string_view browser_request =
    "GET /articles/2024/io-uring-proxies?page=2 HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Referer: https://www.example.com/articles/\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: session=8f2c1e9a7b; theme=dark\r\n"
    "Upgrade-Insecure-Requests: 1\r\n"
    "Sec-Fetch-Dest: document\r\n"
    "\r\n";

constexpr std::string_view wrk_request =
    "GET / HTTP/1.1\r\n"
    "Host: 127.0.0.1:8080\r\n"
    "\r\n";

void parse_repeatedly(benchmark::State& state, std::string_view request) {
  RequestHead head;
  for (auto _ : state) {
    benchmark::DoNotOptimize(request.data());
    const auto result = ringway::http::parse_request_head(request, head);
    if (result.status != ParseStatus::complete) state.SkipWithError("request did not parse");
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(head);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * request.size()));
}

void curl(benchmark::State& state) {
  parse_repeatedly(state, curl_request);
}
void browser(benchmark::State& state) {
  parse_repeatedly(state, browser_request);
}
void wrk(benchmark::State& state) {
  parse_repeatedly(state, wrk_request);
}

BENCHMARK(curl);
BENCHMARK(browser);
BENCHMARK(wrk);

}  // namespace
