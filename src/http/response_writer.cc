#include "ringway/http/response_writer.h"

#include <cstdio>
#include <cstring>
#include <ctime>

#include "head_output.h"

namespace ringway::http {

namespace {

constexpr std::string_view redirect_body =
    "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n"
    "<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>ringway</center>\r\n"
    "</body>\r\n</html>\r\n";

struct StatusText {
  int status;
  std::string_view reason;
  std::string_view body;
};

constexpr StatusText internal_error = {500, "Internal Server Error", "internal server error\n"};

constexpr StatusText status_texts[] = {
    {200, "OK", "ok\n"},
    {400, "Bad Request", "bad request\n"},
    {404, "Not Found", "not found\n"},
    {405, "Method Not Allowed", "method not allowed\n"},
    {408, "Request Timeout", "request timeout\n"},
    {413, "Content Too Large", "content too large\n"},
    {421, "Misdirected Request", "misdirected request\n"},
    {431, "Request Header Fields Too Large", "request header fields too large\n"},
    internal_error,
    {502, "Bad Gateway", "bad gateway\n"},
    {503, "Service Unavailable", "service unavailable\n"},
    {504, "Gateway Timeout", "gateway timeout\n"},
    {505, "HTTP Version Not Supported", "http version not supported\n"},
};

const StatusText& status_text(int status) {
  for (const StatusText& text : status_texts) {
    if (text.status == status) return text;
  }
  return internal_error;  // an unknown status is our bug: say so
}

// Date, Content-Length, Connection and the blank line's first CRLF.
void append_common(rewrite::HeadOutput& out, const ResponseOptions& options,
                   std::size_t body_bytes) {
  out.append("Server: ringway\r\nDate: ").append(options.date);
  out.append("\r\nContent-Length: ").append_number(body_bytes);
  out.append(options.keep_alive ? "\r\nConnection: keep-alive\r\n" : "\r\nConnection: close\r\n");
  out.append(options.extra_headers);
}

}  // namespace

bool write_redirect(OutputArea& out, const ResponseOptions& options, std::string_view host,
                    std::uint16_t port, std::string_view target) {
  rewrite::HeadOutput head(out);
  head.append("HTTP/1.1 301 Moved Permanently\r\nContent-Type: text/html\r\n");
  append_common(head, options, redirect_body.size());
  head.append("Location: https://").append(host);
  if (port != 443) head.append(":").append_number(port);
  head.append(target).append("\r\n\r\n");
  if (!options.head_only) head.append(redirect_body);
  return head.commit();
}

bool write_plain_ok(OutputArea& out, const ResponseOptions& options, std::string_view body) {
  rewrite::HeadOutput head(out);
  head.append("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n");
  append_common(head, options, body.size());
  head.append("\r\n");
  if (!options.head_only) head.append(body);
  return head.commit();
}

bool write_status(OutputArea& out, const ResponseOptions& options, int status) {
  const StatusText& text = status_text(status);
  rewrite::HeadOutput head(out);
  head.append("HTTP/1.1 ").append_number(static_cast<std::uint64_t>(text.status)).append(" ");
  head.append(text.reason).append("\r\nContent-Type: text/plain\r\n");
  if (status == 405) head.append("Allow: GET, HEAD\r\n");
  append_common(head, options, text.body.size());
  head.append("\r\n");
  if (!options.head_only) head.append(text.body);
  return head.commit();
}

std::size_t redirect_body_bytes() {
  return redirect_body.size();
}

std::size_t status_body_bytes(int status) {
  return status_text(status).body.size();
}

void format_http_date(std::int64_t unix_seconds, char (&out)[29]) {
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = static_cast<std::time_t>(unix_seconds);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[40];
  std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[parts.tm_wday],
                parts.tm_mday, months[parts.tm_mon], parts.tm_year + 1900, parts.tm_hour,
                parts.tm_min, parts.tm_sec);
  std::memcpy(out, text, sizeof out);
}

bool write_local_response(OutputArea& out, const ResponseOptions& options,
                          const LocalResponse& response) {
  ResponseOptions full = options;
  full.keep_alive = response.keep_alive;
  full.extra_headers = response.extra_headers;
  switch (response.kind) {
    case LocalResponse::Kind::redirect:
      return write_redirect(out, full, response.redirect_host, response.redirect_port,
                            response.redirect_target);
    case LocalResponse::Kind::file:
      return write_plain_ok(out, full, response.file_body);
    case LocalResponse::Kind::status:
      break;
  }
  return write_status(out, full, response.status);
}

int local_response_status(const LocalResponse& response) {
  switch (response.kind) {
    case LocalResponse::Kind::redirect:
      return 301;
    case LocalResponse::Kind::file:
      return 200;
    case LocalResponse::Kind::status:
      break;
  }
  return response.status;
}

std::uint64_t local_response_body_bytes(const LocalResponse& response, bool head_only) {
  if (head_only) return 0;
  switch (response.kind) {
    case LocalResponse::Kind::redirect:
      return redirect_body_bytes();
    case LocalResponse::Kind::file:
      return response.file_body.size();
    case LocalResponse::Kind::status:
      break;
  }
  return status_body_bytes(response.status);
}

}  // namespace ringway::http
