#include "fake_upstream.h"

#include <charconv>

namespace ringway::fake {

namespace {

constexpr std::string_view challenge_prefix = "/.well-known/acme-challenge/";

// "/<kind>/<bytes>/<salt>": bytes and salt, false when target is not of that form.
bool sized_target(std::string_view target, std::string_view kind, std::size_t& bytes,
                  std::uint64_t& salt) {
  std::string prefix = "/" + std::string(kind) + "/";
  if (!target.starts_with(prefix)) return false;
  target.remove_prefix(prefix.size());
  auto [middle, error] = std::from_chars(target.data(), target.data() + target.size(), bytes);
  if (error != std::errc() || middle == target.data() + target.size() || *middle != '/') {
    return false;
  }
  auto [end, salt_error] = std::from_chars(middle + 1, target.data() + target.size(), salt);
  return salt_error == std::errc() && end == target.data() + target.size();
}

std::string chunked(FakeRing& ring, const std::string& body) {
  std::string out;
  std::size_t position = 0;
  while (position < body.size()) {
    std::size_t size = std::min<std::size_t>(ring.uniform(1, 3000), body.size() - position);
    char hex[20];
    auto [end, error] = std::to_chars(hex, hex + sizeof hex, size, 16);
    (void)error;
    out.append(hex, end).append("\r\n").append(body, position, size).append("\r\n");
    position += size;
  }
  return out + "0\r\n\r\n";
}

}  // namespace

Listener::Answer FakeUpstream::answer_connect(LinkId link) {
  (void)link;
  ++counts_.connect_attempts;
  // One draw: the three probabilities add up.
  double draw = static_cast<double>(ring_.uniform(0, 999'999)) / 1'000'000;
  if (draw < plan_.refuse) return Answer::refuse;
  if (draw < plan_.refuse + plan_.never_answer) return Answer::never;
  if (draw < plan_.refuse + plan_.never_answer + plan_.time_out) return Answer::time_out;
  return Answer::accept;
}

Peer* FakeUpstream::accept(LinkId link) {
  ++counts_.connections;
  connections_.push_back(std::make_unique<UpstreamConnection>(ring_, *this, link));
  return connections_.back().get();
}

void FakeUpstream::count_request(bool reused) {
  ++counts_.requests;
  if (reused) ++counts_.reused_requests;
}

UpstreamConnection::UpstreamConnection(FakeRing& ring, FakeUpstream& server, LinkId link)
    : ring_(ring), server_(server), link_(link) {}

void UpstreamConnection::on_bytes(std::string_view bytes) {
  if (closed_) return;
  inbox_.append(bytes);
  for (;;) {
    Message request;
    ReadStatus status = read_message(inbox_, false, false, false, request);
    if (status == ReadStatus::partial) return;
    if (status == ReadStatus::invalid) {
      ring_.fail(server_.plan().name + ": a forwarded request that does not parse");
      return;
    }
    if (answering_) {
      ring_.fail(server_.plan().name + ": a request before the previous answer was out");
      return;
    }
    answer(request);
    if (closed_) return;
  }
}

void UpstreamConnection::on_end(bool reset) {
  (void)reset;
  closed_ = true;  // the worker closed: nothing more to answer
}

void UpstreamConnection::answer(const Message& request) {
  const UpstreamPlan& plan = server_.plan();
  server_.count_request(answered_ > 0);
  if (request.field("x-ringway-hop") != "1") {
    ring_.fail(plan.name + ": a forwarded request without the hop marker");
  }
  if (request.field("x-forwarded-for") != "127.0.0.1") {
    ring_.fail(plan.name + ": X-Forwarded-For \"" + request.field("x-forwarded-for") + "\"");
  }
  if (answered_ > 0 && ring_.chance(plan.close_unanswered + plan.reset_unanswered)) {
    // The worker sent this on a connection we were about to close.
    closed_ = true;
    bool reset =
        ring_.chance(plan.reset_unanswered / (plan.close_unanswered + plan.reset_unanswered));
    ring_.after(ring_.uniform(0, 2), [this, reset] {
      reset ? ring_.reset_to_worker(link_) : ring_.close_to_worker(link_);
    });
    return;
  }
  if (ring_.chance(plan.silent)) {
    answering_ = true;  // until the worker gives up on it and closes
    return;
  }
  bool closes = false;
  std::string response = ring_.chance(plan.garbage) ? "HTTP/1.1 2OO OK\r\nX: y\r\n\r\n"
                                                    : response_for(request, closes);
  ++answered_;
  send_answer(response, closes);
}

std::string UpstreamConnection::response_for(const Message& request, bool& closes) {
  std::string target = request.target();
  bool head = request.method() == "HEAD";
  std::size_t bytes = 0;
  std::uint64_t salt = 0;
  std::string status_line = "HTTP/1.1 200 OK\r\n";
  std::string fields = "X-Upstream: " + server_.plan().name + "\r\n";
  std::string body;
  bool is_chunked = sized_target(target, "chunked", bytes, salt);
  bool is_close = !is_chunked && sized_target(target, "close", bytes, salt);
  if (is_chunked || is_close || sized_target(target, "cl", bytes, salt)) {
    body = body_pattern(bytes, salt);
  } else if (target == "/echo") {
    body = request.body;
  } else if (target.starts_with(challenge_prefix) &&
             target.substr(challenge_prefix.size()).starts_with("peer")) {
    body = "peer:" + target.substr(challenge_prefix.size());
  } else {
    status_line = "HTTP/1.1 404 Not Found\r\n";
  }
  closes = is_close || ring_.chance(server_.plan().close_after_answer);
  if (closes) fields += "Connection: close\r\n";
  if (is_chunked) {
    fields += "Transfer-Encoding: chunked\r\n";
    return status_line + fields + "\r\n" + (head ? std::string() : chunked(ring_, body));
  }
  if (!is_close) fields += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return status_line + fields + "\r\n" + (head ? std::string() : body);
}

void UpstreamConnection::send_answer(const std::string& bytes, bool then_close) {
  answering_ = true;
  bool reset_midway = ring_.chance(server_.plan().reset_midway);
  auto uniform = [this](std::uint64_t low, std::uint64_t high) { return ring_.uniform(low, high); };
  std::vector<std::string> pieces = split_randomly(bytes, 6, uniform);
  std::size_t reset_at = reset_midway ? ring_.uniform(0, pieces.size() - 1) : pieces.size();
  send_at_ms_ = std::max(send_at_ms_, ring_.clock_ms());
  for (std::size_t index = 0; index < pieces.size(); ++index) {
    send_at_ms_ += ring_.uniform(0, 3);
    bool last = index + 1 == pieces.size();
    ring_.after(send_at_ms_ - ring_.clock_ms(), [this, piece = std::move(pieces[index]), last,
                                                 then_close, reset = index == reset_at] {
      if (closed_) return;
      if (reset) {
        closed_ = true;
        ring_.reset_to_worker(link_);
        return;
      }
      ring_.send_to_worker(link_, piece);
      if (!last) return;
      answering_ = false;
      if (then_close) {
        closed_ = true;
        ring_.close_to_worker(link_);
      } else if (ring_.chance(server_.plan().idle_close)) {
        close_soon();
      }
    });
  }
}

// An idle keepalive connection closed by the upstream, as a backend does after
// its keepalive timeout: a request racing with it is the worker's to retry.
void UpstreamConnection::close_soon() {
  ring_.after(ring_.uniform(0, 30), [this] {
    if (closed_ || answering_) return;
    closed_ = true;
    ring_.close_to_worker(link_);
  });
}

}  // namespace ringway::fake
