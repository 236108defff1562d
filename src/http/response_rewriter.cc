#include "ringway/http/response_rewriter.h"

#include "head_output.h"

namespace ringway::http {
namespace {

bool is_transfer_encoding(std::string_view name) {
  return name.size() == 17 && syntax::equals_lowercase(name, "transfer-encoding");
}

}  // namespace

bool write_proxied_response_head(OutputArea& out, const ResponseHead& head,
                                 const ProxyResponseOptions& options) {
  rewrite::HeadOutput output(out);
  const char status_digits[] = {static_cast<char>('0' + head.status / 100),
                                static_cast<char>('0' + head.status / 10 % 10),
                                static_cast<char>('0' + head.status % 10)};
  output.append("HTTP/1.1 ");
  output.append({status_digits, sizeof status_digits});
  output.append(" ");
  output.append(head.reason);
  output.append("\r\n");

  const rewrite::ConnectionOptions connection_options(head.headers, head.header_count);
  for (std::size_t index = 0; index < head.header_count; ++index) {
    const Header& header = head.headers[index];
    if (rewrite::is_hop_by_hop(header.name) || connection_options.lists(header.name)) continue;
    if (options.client_http10 && is_transfer_encoding(header.name)) continue;
    output.append_field(header.name, header.value);
  }
  const bool interim = head.status < 200;
  if (!interim) {
    if (!options.strict_transport_security.empty() && !head.has_strict_transport_security) {
      output.append_field("Strict-Transport-Security", options.strict_transport_security);
    }
    output.append(options.keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
  }
  output.append("\r\n");
  return output.commit();
}

bool upstream_connection_reusable(const ResponseHead& head, BodyKind response_body) {
  return head.keep_alive && response_body != BodyKind::until_close && head.status != 101;
}

bool client_connection_reusable(const RequestHead& request, BodyKind response_body) {
  const bool dechunked = request.version_minor == 0 && response_body == BodyKind::chunked;
  return request.keep_alive && response_body != BodyKind::until_close && !dechunked;
}

}  // namespace ringway::http
