#pragma once
// Writes the head of a client request as ringway forwards it to an upstream:
// HTTP/1.1 with keepalive, origin-form target, hop-by-hop fields removed and
// X-Forwarded-* added. Pure: no allocation, nothing written unless all of it fits.

#include <optional>
#include <string_view>

#include "ringway/http/request_head.h"
#include "ringway/http/response_writer.h"

namespace ringway::http {

struct ProxyHeadOptions {
  std::string_view client_address;      // the client's IP as text, no brackets, no port
  bool client_https = false;            // X-Forwarded-Proto: https, else http
  std::string_view upstream_host = {};  // Host sent instead of the client's; empty: the client's
  // A marker field that stops two hosts forwarding a request back and forth
  // (e.g. "X-Ringway-Hop", "1"); empty name: none.
  std::string_view hop_header_name = {};
  std::string_view hop_header_value = {};
};

// The path and query of target in origin form: target itself when it starts with
// "/" or is "*", the part after the authority for an http:// or https:// absolute
// form (which may be empty or start with "?": the writer puts "/" before it);
// nullopt for anything else (authority-form, other schemes), which is not proxied.
std::optional<std::string_view> origin_form_path(std::string_view target);

// Appends the upstream request head for head (a complete parse_request_head result)
// to out: "<method> <origin-form> HTTP/1.1", Host (options.upstream_host or the
// client's Host, which stays the Host even for an absolute-form target), the client's
// fields in order without Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
// Upgrade, the fields Connection lists, and incoming Host, X-Forwarded-Proto,
// X-Forwarded-Host and hop marker fields; then X-Forwarded-For (incoming values
// joined, the client address appended), X-Forwarded-Proto, X-Forwarded-Host (the
// client's Host, when it sent one), the hop marker and "Connection: keep-alive".
// Content-Length and Transfer-Encoding stay as sent: the body is forwarded unchanged.
// Returns false, with out.size unchanged, when it does not fit or when the target
// has no origin form (see origin_form_path); bytes past out.size may be overwritten.
bool write_proxied_request_head(OutputArea& out, const RequestHead& head,
                                const ProxyHeadOptions& options);

}  // namespace ringway::http
