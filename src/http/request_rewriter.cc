#include "ringway/http/request_rewriter.h"

#include "head_output.h"
#include "ringway/http/host.h"

namespace ringway::http {
namespace {

using rewrite::equals_ignoring_case;
using syntax::equals_lowercase;

// Fields the writer sets itself, so incoming copies are dropped (X-Forwarded-For
// is merged instead).
bool is_replaced(std::string_view name, const ProxyHeadOptions& options) {
  switch (name.size()) {
    case 4:
      return equals_lowercase(name, "host");
    case 16:
      return equals_lowercase(name, "x-forwarded-host");
    case 17:
      return equals_lowercase(name, "x-forwarded-proto");
    default:
      break;
  }
  return !options.hop_header_name.empty() && equals_ignoring_case(name, options.hop_header_name);
}

bool is_forwarded_for(std::string_view name) {
  return name.size() == 15 && equals_lowercase(name, "x-forwarded-for");
}

// "X-Forwarded-For: <earlier values>, <client>", the incoming lines joined in order.
void append_forwarded_for(rewrite::HeadOutput& output, const RequestHead& head,
                          const rewrite::ConnectionOptions& connection_options,
                          std::string_view client_address) {
  bool started = false;
  const bool keep_incoming = !connection_options.lists("x-forwarded-for");
  for (std::size_t index = 0; keep_incoming && index < head.header_count; ++index) {
    const Header& header = head.headers[index];
    if (!is_forwarded_for(header.name) || header.value.empty()) continue;
    output.append(started ? ", " : "X-Forwarded-For: ");
    output.append(header.value);
    started = true;
  }
  if (!client_address.empty()) {
    output.append(started ? ", " : "X-Forwarded-For: ");
    output.append(client_address);
    started = true;
  }
  if (started) output.append("\r\n");
}

}  // namespace

std::optional<std::string_view> origin_form_path(std::string_view target) {
  if (target.empty()) return std::nullopt;
  if (target.front() == '/' || target == "*") return target;
  const std::optional<std::string_view> authority = absolute_form_authority(target);
  if (!authority || authority->empty()) return std::nullopt;
  // What follows the authority: "", "/path..." or "?query".
  return target.substr(static_cast<std::size_t>(authority->data() - target.data()) +
                       authority->size());
}

bool write_proxied_request_head(OutputArea& out, const RequestHead& head,
                                const ProxyHeadOptions& options) {
  const std::optional<std::string_view> path = origin_form_path(head.target);
  if (!path) return false;
  rewrite::HeadOutput output(out);
  output.append(head.method_text);
  output.append(path->empty() || path->front() == '?' ? " /" : " ");
  output.append(*path);
  output.append(" HTTP/1.1\r\n");
  output.append_field("Host", options.upstream_host.empty() ? head.host : options.upstream_host);

  const rewrite::ConnectionOptions connection_options(head.headers, head.header_count);
  for (std::size_t index = 0; index < head.header_count; ++index) {
    const Header& header = head.headers[index];
    if (rewrite::is_hop_by_hop(header.name) || is_replaced(header.name, options) ||
        is_forwarded_for(header.name) || connection_options.lists(header.name)) {
      continue;
    }
    output.append_field(header.name, header.value);
  }

  append_forwarded_for(output, head, connection_options, options.client_address);
  output.append_field("X-Forwarded-Proto", options.client_https ? "https" : "http");
  if (!head.host.empty()) output.append_field("X-Forwarded-Host", head.host);
  if (!options.hop_header_name.empty()) {
    output.append_field(options.hop_header_name, options.hop_header_value);
  }
  output.append("Connection: keep-alive\r\n\r\n");
  return output.commit();
}

}  // namespace ringway::http
