// libFuzzer target for parse_response_head and the body framing it decides.
// libFuzzer hands over a heap copy of exactly size bytes, so ASan catches over-reads;
// these checks catch what a sanitizer cannot: views outside the head, a head that
// does not end in CRLFCRLF, verdicts that change when fewer bytes have arrived,
// framing that consumes past its input.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ringway/http/body_framing.h"
#include "ringway/http/response_parser.h"

namespace {

using ringway::http::BodyFraming;
using ringway::http::BodyKind;
using ringway::http::BodyScan;
using ringway::http::Method;
using ringway::http::ResponseHead;
using ringway::http::ResponseParseResult;
using ringway::http::ResponseParserLimits;
using ringway::http::ResponseParseStatus;

void check(bool condition) {
  if (!condition) std::abort();
}

bool lies_inside(std::string_view view, std::string_view input) {
  if (view.empty()) return true;
  return view.data() >= input.data() && view.data() + view.size() <= input.data() + input.size();
}

void check_body(const ResponseHead& head, std::string_view rest) {
  const Method method = rest.empty() || (rest.front() & 1) == 0 ? Method::get : Method::head;
  BodyFraming framing = ringway::http::response_body_framing(head, method);
  if (head.chunked && method == Method::get && head.status >= 200 && head.status != 204 &&
      head.status != 304) {
    check(framing.kind() == BodyKind::chunked);
  }
  const BodyScan scan = framing.scan(rest);
  check(scan.consumed_bytes <= rest.size());
  check(!(scan.done && scan.error));
  check(scan.consumed_bytes == rest.size() || scan.done || scan.error);
}

void check_complete(std::string_view input, const ResponseParseResult& result,
                    const ResponseHead& head, const ResponseParserLimits& limits) {
  check(result.head_bytes >= 17 && result.head_bytes <= input.size());
  check(result.head_bytes <= limits.head_bytes_max);
  const std::string_view head_text = input.substr(0, result.head_bytes);
  check(head_text.substr(head_text.size() - 4) == "\r\n\r\n");
  check(head_text.substr(0, 7) == "HTTP/1.");
  check(head.status >= 100 && head.status <= 599 && head.version_minor <= 1);
  check(lies_inside(head.reason, head_text));
  check(!(head.chunked && head.has_content_length));
  check(!head.chunked || head.version_minor == 1);
  check(head.header_count <= limits.header_count_max);
  for (std::size_t index = 0; index < head.header_count; ++index) {
    check(!head.headers[index].name.empty() && lies_inside(head.headers[index].name, head_text));
    check(lies_inside(head.headers[index].value, head_text));
    for (const char byte : head.headers[index].value) check(byte != '\r' && byte != '\n');
  }
  check_body(head, input.substr(result.head_bytes));

  // The same head with its last byte missing must still be waiting for more.
  ResponseHead shorter_head;
  const ResponseParseResult shorter =
      parse_response_head(input.substr(0, result.head_bytes - 1), shorter_head, limits);
  check(shorter.status == ResponseParseStatus::partial);
}

void parse_and_check(std::string_view input, const ResponseParserLimits& limits) {
  ResponseHead head;
  const ResponseParseResult result = parse_response_head(input, head, limits);
  if (result.status == ResponseParseStatus::complete) check_complete(input, result, head, limits);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  parse_and_check(input, ResponseParserLimits{});
  // Small limits reach the too_large paths with short inputs.
  parse_and_check(input, ResponseParserLimits{.head_bytes_max = 64, .header_count_max = 2});
  return 0;
}
