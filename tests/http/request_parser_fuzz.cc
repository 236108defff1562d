// libFuzzer target for parse_request_head (and host_without_port on what it accepts).
// libFuzzer hands over a heap copy of exactly size bytes, so ASan catches over-reads;
// these checks catch what a sanitizer cannot: views outside the head, a head that
// does not end in CRLFCRLF, verdicts that change when fewer bytes have arrived.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ringway/http/host.h"
#include "ringway/http/request_parser.h"

namespace {

using ringway::http::ParseResult;
using ringway::http::ParserLimits;
using ringway::http::ParseStatus;
using ringway::http::RequestHead;

void check(bool condition) {
  if (!condition) std::abort();
}

bool lies_inside(std::string_view view, std::string_view input) {
  if (view.empty()) return true;
  return view.data() >= input.data() && view.data() + view.size() <= input.data() + input.size();
}

void check_host(std::string_view host_field) {
  const auto host = ringway::http::host_without_port(host_field);
  if (!host) return;
  check(!host->empty() && host->data() == host_field.data() && host->size() <= host_field.size());
  for (const char byte : *host) {
    // Nothing that could end a header line or change a URL's authority.
    check(byte > ' ' && byte < 0x7f && byte != '@' && byte != '/' && byte != '\\' && byte != '%');
  }
}

void check_complete(std::string_view input, const ParseResult& result, const RequestHead& head,
                    const ParserLimits& limits) {
  check(result.head_bytes >= 4 && result.head_bytes <= input.size());
  check(result.head_bytes <= limits.head_bytes_max);
  const std::string_view head_text = input.substr(0, result.head_bytes);
  check(head_text.substr(head_text.size() - 4) == "\r\n\r\n");
  check(!head.method_text.empty() && lies_inside(head.method_text, head_text));
  check(!head.target.empty() && lies_inside(head.target, head_text));
  check(lies_inside(head.host, head_text) && lies_inside(head.user_agent, head_text));
  check(lies_inside(head.referer, head_text));
  check(head.version_minor <= 1 && (head.has_host || head.version_minor == 0));
  check(!(head.chunked && head.has_content_length));
  check(head.header_count <= limits.header_count_max);
  for (std::size_t index = 0; index < head.header_count; ++index) {
    check(!head.headers[index].name.empty() && lies_inside(head.headers[index].name, head_text));
    check(lies_inside(head.headers[index].value, head_text));
  }
  if (head.has_host) check_host(head.host);

  // The same head with its last byte missing must still be waiting for more.
  RequestHead shorter_head;
  const ParseResult shorter =
      parse_request_head(input.substr(0, result.head_bytes - 1), shorter_head, limits);
  check(shorter.status == ParseStatus::partial);
}

void parse_and_check(std::string_view input, const ParserLimits& limits) {
  RequestHead head;
  const ParseResult result = parse_request_head(input, head, limits);
  if (result.status == ParseStatus::complete) check_complete(input, result, head, limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  parse_and_check(input, ParserLimits{});
  // Small limits reach the head_too_large paths with short inputs.
  parse_and_check(input, ParserLimits{.head_bytes_max = 64, .header_count_max = 2});
  check_host(input);
  return 0;
}
