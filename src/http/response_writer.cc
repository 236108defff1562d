#include "ringway/http/response_writer.h"

#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>

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

// Appends pieces in order; remembers overflow instead of checking at each step.
class Writer {
 public:
  explicit Writer(OutputArea& out) : out_(out), size_(out.size) {}
  Writer& put(std::string_view text) {
    if (text.size() > out_.capacity - size_) {
      overflow_ = true;
      return *this;
    }
    // An empty view may have no data at all: memcpy must not see its null pointer.
    if (!text.empty()) std::memcpy(out_.data + size_, text.data(), text.size());
    size_ += text.size();
    return *this;
  }
  Writer& put_number(std::uint64_t number) {
    char digits[20];
    auto [end, error] = std::to_chars(digits, digits + sizeof digits, number);
    (void)error;
    return put({digits, static_cast<std::size_t>(end - digits)});
  }
  // Date, Content-Length, Connection and the blank line.
  Writer& put_common(const ResponseOptions& options, std::size_t body_bytes) {
    put("Server: ringway\r\nDate: ").put(options.date);
    put("\r\nContent-Length: ").put_number(body_bytes);
    put(options.keep_alive ? "\r\nConnection: keep-alive\r\n" : "\r\nConnection: close\r\n");
    return put(options.extra_headers);
  }
  bool finish() {
    if (overflow_) return false;
    out_.size = size_;
    return true;
  }

 private:
  OutputArea& out_;
  std::size_t size_;
  bool overflow_ = false;
};

}  // namespace

bool write_redirect(OutputArea& out, const ResponseOptions& options, std::string_view host,
                    std::uint16_t port, std::string_view target) {
  Writer writer(out);
  writer.put("HTTP/1.1 301 Moved Permanently\r\nContent-Type: text/html\r\n");
  writer.put_common(options, redirect_body.size());
  writer.put("Location: https://").put(host);
  if (port != 443) writer.put(":").put_number(port);
  writer.put(target).put("\r\n\r\n");
  if (!options.head_only) writer.put(redirect_body);
  return writer.finish();
}

bool write_plain_ok(OutputArea& out, const ResponseOptions& options, std::string_view body) {
  Writer writer(out);
  writer.put("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n");
  writer.put_common(options, body.size()).put("\r\n");
  if (!options.head_only) writer.put(body);
  return writer.finish();
}

bool write_status(OutputArea& out, const ResponseOptions& options, int status) {
  const StatusText& text = status_text(status);
  Writer writer(out);
  writer.put("HTTP/1.1 ").put_number(static_cast<std::uint64_t>(text.status)).put(" ");
  writer.put(text.reason).put("\r\nContent-Type: text/plain\r\n");
  if (status == 405) writer.put("Allow: GET, HEAD\r\n");
  writer.put_common(options, text.body.size()).put("\r\n");
  if (!options.head_only) writer.put(text.body);
  return writer.finish();
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

}  // namespace ringway::http
