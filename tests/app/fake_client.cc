#include "fake_client.h"

#include <algorithm>

namespace ringway::fake {

FakeClient::FakeClient(FakeRing& ring, int listener_fd, ClientScript script, std::string name)
    : ring_(ring), listener_fd_(listener_fd), script_(std::move(script)), name_(std::move(name)) {}

void FakeClient::fail(const std::string& what) {
  ring_.fail(name_ + ": " + what);
}

void FakeClient::start() {
  if (!ring_.connect_client(listener_fd_, *this, link_)) {
    if (!script_.lenient) fail("the listener refused the connection");
    done_ = true;
    return;
  }
  connected_ = true;
  send_at_ms_ = ring_.clock_ms();
  if (script_.end == ClientEnd::reset) {
    ring_.after(ring_.uniform(0, 40), [this] {
      if (done_) return;
      ring_.reset_to_worker(link_);
      closed_by_us_ = done_ = true;
    });
  }
  if (script_.exchanges.empty()) {
    if (script_.end == ClientEnd::half_close) ring_.shutdown_to_worker(link_);
    done_ = script_.end != ClientEnd::reset && !script_.wait_for_close;
    return;
  }
  if (script_.pipeline) {
    std::string all;
    for (const Exchange& exchange : script_.exchanges) all += exchange.request;
    sent_requests_ = script_.exchanges.size();
    send_pieces(all, 2 * script_.exchanges.size() + 2, script_.end == ClientEnd::half_close);
  } else {
    send_request(0);
  }
}

void FakeClient::send_request(std::size_t index) {
  sent_requests_ = index + 1;
  bool last = index + 1 == script_.exchanges.size();
  send_pieces(script_.exchanges[index].request, 3, last && script_.end == ClientEnd::half_close);
}

// Each piece a few milliseconds after the one before it.
void FakeClient::send_pieces(const std::string& bytes, std::size_t pieces_max, bool then_shutdown) {
  auto uniform = [this](std::uint64_t low, std::uint64_t high) { return ring_.uniform(low, high); };
  send_at_ms_ = std::max(send_at_ms_, ring_.clock_ms());
  for (std::string& piece : split_randomly(bytes, pieces_max, uniform)) {
    send_at_ms_ += ring_.uniform(0, 3);
    ring_.after(send_at_ms_ - ring_.clock_ms(), [this, piece = std::move(piece)] {
      if (!closed_by_us_ && !ended_) ring_.send_to_worker(link_, piece);
    });
  }
  if (then_shutdown) {
    ring_.after(send_at_ms_ - ring_.clock_ms(), [this] {
      if (!closed_by_us_ && !ended_) ring_.shutdown_to_worker(link_);
    });
  }
}

void FakeClient::on_bytes(std::string_view bytes) {
  if (closed_by_us_) return;
  if (closed_by_answer_ || answered_ >= sent_requests_) {
    fail("bytes nobody asked for: \"" + std::string(bytes.substr(0, 80)) + "\"");
    return;
  }
  inbox_.append(bytes);
  ring_.trace("%s received %zu bytes", name_.c_str(), bytes.size());
  read_answers(false);
}

void FakeClient::read_answers(bool at_end) {
  while (!inbox_.empty() && answered_ < sent_requests_ && !closed_by_answer_) {
    const Exchange& exchange = script_.exchanges[answered_];
    Message answer;
    ReadStatus status = read_message(inbox_, true, exchange.head, at_end, answer);
    if (status == ReadStatus::partial) {
      if (at_end && !script_.lenient) fail("an answer cut short by the end of the connection");
      return;
    }
    if (status == ReadStatus::invalid) {
      fail("an answer that does not parse: \"" + inbox_.substr(0, 400) + "\"");
      inbox_.clear();
      return;
    }
    check_answer(exchange, answer);
    ++answered_;
    closed_by_answer_ = answer.closes();
    after_answer();
  }
  if (!inbox_.empty() && !at_end && (closed_by_answer_ || answered_ >= sent_requests_)) {
    fail("bytes after the last answer: \"" + inbox_.substr(0, 80) + "\"");
  }
}

void FakeClient::check_answer(const Exchange& exchange, const Message& answer) {
  const Expect& expect = exchange.expect;
  std::string which = "answer " + std::to_string(answered_) + " (" +
                      exchange.request.substr(0, exchange.request.find('\r')) + ")";
  int status = answer.status();
  bool alternative =
      std::find(expect.or_status.begin(), expect.or_status.end(), status) != expect.or_status.end();
  if (status != expect.status && !alternative) {
    fail(which + ": status " + std::to_string(status) + ", expected " +
         std::to_string(expect.status));
    return;
  }
  if (status != expect.status) return;  // an allowed alternative: the fault decides the rest
  bool prefix_passes = expect.prefix_at_close && expect.body &&
                       expect.body->compare(0, answer.body.size(), answer.body) == 0 &&
                       answer.body.size() <= expect.body->size();
  if (expect.body && answer.body != *expect.body && !prefix_passes) {
    std::size_t first = 0;
    while (first < answer.body.size() && first < expect.body->size() &&
           answer.body[first] == (*expect.body)[first]) {
      ++first;
    }
    fail(which + ": body of " + std::to_string(answer.body.size()) + " bytes, expected " +
         std::to_string(expect.body->size()) + ", first difference at byte " +
         std::to_string(first));
  }
  if (!expect.location.empty() && answer.field("location") != expect.location) {
    fail(which + ": Location \"" + answer.field("location") + "\", expected \"" + expect.location +
         "\"");
  }
  if (!expect.upstream.empty() && answer.field("x-upstream") != expect.upstream) {
    fail(which + ": answered by \"" + answer.field("x-upstream") + "\", expected \"" +
         expect.upstream + "\"");
  }
  if (answer.closes() != expect.closes && !script_.lenient) {
    fail(which + (expect.closes ? ": no Connection: close" : ": an unexpected Connection: close"));
  }
}

void FakeClient::after_answer() {
  bool more_to_send = answered_ < script_.exchanges.size() && !closed_by_answer_;
  if (!script_.pipeline && answered_ == sent_requests_ && more_to_send) send_request(answered_);
  if (answered_ < answers_due() || script_.wait_for_close) return;
  if (script_.end == ClientEnd::close && !ended_ && !closed_by_us_) {
    ring_.close_to_worker(link_);
    closed_by_us_ = true;
  }
  if (script_.end != ClientEnd::reset && !script_.wait_for_close) done_ = true;
}

// Answers still to come: none after one that closes the connection, nor from
// an exchange that expects none.
std::size_t FakeClient::answers_due() const {
  if (closed_by_answer_) return answered_;
  std::size_t due = 0;
  while (due < script_.exchanges.size() && script_.exchanges[due].expect.status != 0) ++due;
  return due;
}

void FakeClient::on_end(bool reset) {
  if (closed_by_us_ || ended_) return;
  ended_ = true;
  if (!reset) read_answers(true);
  if (!inbox_.empty() && !script_.lenient) {
    fail("the connection ended inside an answer: \"" + inbox_.substr(0, 80) + "\"");
  }
  if (answered_ < answers_due() && !script_.lenient) {
    fail("request " + std::to_string(answered_) + " got no answer: the connection " +
         (reset ? "was reset" : "was closed"));
  }
  done_ = true;
}

}  // namespace ringway::fake
