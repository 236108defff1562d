#pragma once
// Writes the head of an upstream response as ringway forwards it to the client,
// and says which connections a response leaves reusable. Pure: no allocation,
// nothing written unless all of it fits.

#include <string_view>

#include "ringway/http/body_framing.h"
#include "ringway/http/request_head.h"
#include "ringway/http/response_head.h"
#include "ringway/http/response_writer.h"

namespace ringway::http {

struct ProxyResponseOptions {
  bool keep_alive = true;  // "Connection: keep-alive", else "Connection: close"
  // A Strict-Transport-Security value added when the upstream sent none; empty: none.
  std::string_view strict_transport_security = {};
  // The client spoke HTTP/1.0, which has no transfer codings: Transfer-Encoding is
  // not passed on (the relay de-chunks the body, BodyFraming::decode_chunks).
  bool client_http10 = false;
};

// Appends the client-facing head for head (a complete parse_response_head result)
// to out: "HTTP/1.1 <status> <reason>", the upstream's fields in order without
// Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Upgrade and the fields
// Connection lists, Content-Length kept as sent, Transfer-Encoding too unless
// options.client_http10 (as nginx does, every coding goes: the relay passes on the
// chunk data, and other codings under chunked are not sent), Server and Date
// untouched; then Strict-Transport-Security when configured and absent, and
// the Connection field from options.keep_alive (neither on a 1xx interim response).
// Returns false, with out.size unchanged, when it does not fit.
bool write_proxied_response_head(OutputArea& out, const ResponseHead& head,
                                 const ProxyResponseOptions& options);

// Whether the upstream connection can carry another request once this response's
// body (framed as response_body) has been read in full: the upstream kept it alive,
// the body is not close-delimited, and the response is not a 101 switch.
bool upstream_connection_reusable(const ResponseHead& head, BodyKind response_body);

// Whether the client connection stays open after this exchange: the client asked
// for keepalive and the response body is not close-delimited (its end reaches the
// client only as a close), nor chunked for an HTTP/1.0 client (which gets it
// de-chunked, ended by the close). Pass the result as ProxyResponseOptions::keep_alive.
bool client_connection_reusable(const RequestHead& request, BodyKind response_body);

}  // namespace ringway::http
