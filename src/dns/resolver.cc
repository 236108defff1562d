#include "ringway/dns/resolver.h"

#include <netinet/in.h>

#include <algorithm>
#include <array>

#include "channel.h"

namespace ringway::dns {
namespace {

constexpr std::uint64_t never_ms = UINT64_MAX;
constexpr std::size_t ipv4_index = 0;
constexpr std::size_t ipv6_index = 1;

// The cause worth reporting when neither family gave an address: NXDOMAIN is
// authoritative; a transport failure says more than the other family's "no
// records"; "no records" for both means just that.
std::error_code combined_error(const std::array<FamilyAnswer, 2>& answers) {
  for (const FamilyAnswer& answer : answers) {
    if (answer.error == DnsError::not_found) return answer.error;
  }
  for (const FamilyAnswer& answer : answers) {
    if (answer.error && answer.error != DnsError::no_addresses) return answer.error;
  }
  return DnsError::no_addresses;
}

void write_to_error_log(log::Level level, const std::string& text) {
  log::write_line(level, "%s", text.c_str());
}

struct Upstream;

// Where both families' answers of a lookup meet.
class LookupOwner {
 public:
  virtual void on_family_answer(Upstream& upstream, std::size_t index, FamilyAnswer answer) = 0;

 protected:
  ~LookupOwner() = default;
};

// One family's query of an upstream's lookup reports here.
struct FamilySink final : AnswerSink {
  LookupOwner* owner = nullptr;
  Upstream* upstream = nullptr;
  std::size_t index = 0;
  void on_answer(FamilyAnswer answer) override {
    owner->on_family_answer(*upstream, index, std::move(answer));
  }
};

struct Upstream {
  Upstream(std::string_view host, std::uint16_t port_number, RefreshTiming timing,
           LookupOwner& owner)
      : name(host), port(port_number), schedule(timing) {
    for (std::size_t index = 0; index < sinks.size(); ++index) {
      sinks[index].owner = &owner;
      sinks[index].upstream = this;
      sinks[index].index = index;
    }
  }
  Upstream(const Upstream&) = delete;  // the sinks point at it
  Upstream& operator=(const Upstream&) = delete;

  std::string name;
  std::uint16_t port;
  bool literal = false;
  base::Published<AddressSet> published;
  std::shared_ptr<const AddressSet> current;  // the last good set, as published
  RefreshSchedule schedule;
  std::uint64_t next_lookup_ms = 0;
  std::error_code last_error;
  // The lookup in flight: an A and an AAAA query, finished when both answered.
  bool in_flight = false;
  int answers_waiting = 0;
  std::array<FamilyAnswer, 2> answers;
  std::array<FamilySink, 2> sinks;

  std::string label() const { return name + ":" + std::to_string(port); }
};

}  // namespace

struct Resolver::Impl final : SocketWatcher, LookupOwner {
  config::Resolver settings;
  RefreshTiming timing;
  LogSink log = write_to_error_log;
  std::uint64_t now_ms = 0;  // of the call into the resolver now running
  std::vector<std::unique_ptr<Upstream>> upstreams;
  std::vector<PollRequest> watched;
  std::vector<PollRequest> changes;
  // Last: closing the channel reports its sockets closed to the members above.
  Channel channel;

  void on_socket_state(int fd, bool readable, bool writable) override {
    PollRequest request{fd, readable, writable};
    auto same_fd = [fd](const PollRequest& entry) { return entry.fd == fd; };
    auto change = std::find_if(changes.begin(), changes.end(), same_fd);
    if (change != changes.end()) {
      *change = request;
    } else {
      changes.push_back(request);
    }
    auto entry = std::find_if(watched.begin(), watched.end(), same_fd);
    if (!readable && !writable) {
      if (entry != watched.end()) watched.erase(entry);
    } else if (entry != watched.end()) {
      *entry = request;
    } else {
      watched.push_back(request);
    }
  }

  Upstream* find(std::string_view name, std::uint16_t port) const {
    for (const auto& upstream : upstreams) {
      if (upstream->name == name && upstream->port == port) return upstream.get();
    }
    return nullptr;
  }

  void start_lookup(Upstream& upstream) {
    if (settings.servers.empty()) return lookup_failed(upstream, DnsError::no_servers);
    upstream.in_flight = true;
    upstream.answers_waiting = 2;
    upstream.answers = {};
    // Either answer may arrive inside query(), so nothing is touched after them.
    channel.query(upstream.name, AF_INET, upstream.port, upstream.sinks[ipv4_index]);
    channel.query(upstream.name, AF_INET6, upstream.port, upstream.sinks[ipv6_index]);
  }

  void on_family_answer(Upstream& upstream, std::size_t index, FamilyAnswer answer) override {
    upstream.answers[index] = std::move(answer);
    if (--upstream.answers_waiting > 0) return;
    upstream.in_flight = false;
    AddressSet fresh;
    std::uint32_t ttl_s = UINT32_MAX;
    for (const FamilyAnswer& family : upstream.answers) {
      if (family.error) continue;
      fresh.addresses.insert(fresh.addresses.end(), family.addresses.begin(),
                             family.addresses.end());
      ttl_s = std::min(ttl_s, family.ttl_s);
    }
    if (fresh.addresses.empty()) return lookup_failed(upstream, combined_error(upstream.answers));
    lookup_succeeded(upstream, std::move(fresh), ttl_s);
  }

  void lookup_succeeded(Upstream& upstream, AddressSet fresh, std::uint32_t ttl_s) {
    bool changed = !upstream.current || !same_addresses(*upstream.current, fresh);
    RefreshDecision decision = upstream.schedule.on_success(now_ms, ttl_s, changed);
    fresh.resolved_at_ms = now_ms;
    fresh.valid_until_ms = decision.valid_until_ms;
    fresh.generation = upstream.current ? upstream.current->generation + (changed ? 1 : 0) : 1;
    std::string previous = upstream.current ? format_addresses(*upstream.current) : std::string();
    upstream.current = std::make_shared<const AddressSet>(std::move(fresh));
    upstream.published.publish(upstream.current);
    upstream.next_lookup_ms = decision.next_lookup_ms;
    upstream.last_error = {};
    std::string label = upstream.label();
    std::string addresses = format_addresses(*upstream.current);
    report(decision.change, {label, addresses, previous, {}, decision.failures_before});
  }

  void lookup_failed(Upstream& upstream, std::error_code error) {
    RefreshDecision decision = upstream.schedule.on_failure(now_ms);
    upstream.next_lookup_ms = decision.next_lookup_ms;
    upstream.last_error = error;
    std::string label = upstream.label();
    std::string kept = upstream.current ? format_addresses(*upstream.current) : std::string();
    report(decision.change, {label, kept, {}, error, decision.failures_before});
  }

  void report(HealthChange change, const ChangeFacts& facts) const {
    std::optional<ChangeMessage> message = describe_change(change, facts);
    if (message && log) log(message->level, message->text);
  }
};

Resolver::Resolver() : impl_(std::make_unique<Impl>()) {}

Resolver::~Resolver() = default;

std::string Resolver::open(const config::Resolver& settings) {
  impl_->settings = settings;
  impl_->timing = refresh_timing(settings);
  return impl_->channel.open(settings, *impl_);
}

void Resolver::set_log_sink(LogSink sink) {
  impl_->log = std::move(sink);
}

const base::Published<AddressSet>& Resolver::resolve(std::string_view name, std::uint16_t port,
                                                     std::uint64_t now_ms) {
  if (Upstream* known = impl_->find(name, port)) return known->published;
  impl_->now_ms = now_ms;
  auto& upstream =
      *impl_->upstreams.emplace_back(std::make_unique<Upstream>(name, port, impl_->timing, *impl_));
  if (std::optional<sockaddr_storage> literal = parse_literal(name, port)) {
    upstream.literal = true;
    upstream.next_lookup_ms = never_ms;
    auto set = std::make_shared<AddressSet>();
    set->addresses.push_back(*literal);
    set->resolved_at_ms = now_ms;
    set->valid_until_ms = never_ms;
    set->generation = 1;
    upstream.current = std::move(set);
    upstream.published.publish(upstream.current);
    upstream.schedule.on_success(now_ms, 0, true);
    return upstream.published;
  }
  impl_->start_lookup(upstream);
  return upstream.published;
}

std::vector<PollRequest> Resolver::take_poll_changes() {
  std::vector<PollRequest> changes;
  changes.swap(impl_->changes);
  return changes;
}

const std::vector<PollRequest>& Resolver::watched() const {
  return impl_->watched;
}

std::optional<PollRequest> Resolver::wanted(int fd) const {
  for (const PollRequest& request : impl_->watched) {
    if (request.fd == fd) return request;
  }
  return std::nullopt;
}

void Resolver::on_readable(int fd, std::uint64_t now_ms) {
  impl_->now_ms = now_ms;
  impl_->channel.process(fd, -1);
}

void Resolver::on_writable(int fd, std::uint64_t now_ms) {
  impl_->now_ms = now_ms;
  impl_->channel.process(-1, fd);
}

void Resolver::on_timer(std::uint64_t now_ms) {
  impl_->now_ms = now_ms;
  impl_->channel.process(-1, -1);
  // By index: a lookup that fails at once may not add upstreams, but stay safe.
  for (std::size_t index = 0; index < impl_->upstreams.size(); ++index) {
    Upstream& upstream = *impl_->upstreams[index];
    if (upstream.in_flight || upstream.literal || upstream.next_lookup_ms > now_ms) continue;
    impl_->start_lookup(upstream);
  }
}

std::uint64_t Resolver::next_timer_ms(std::uint64_t now_ms) {
  std::uint64_t next_ms = never_ms;
  if (std::optional<std::uint64_t> timeout_ms = impl_->channel.timeout_ms()) {
    next_ms = now_ms + *timeout_ms;
  }
  for (const auto& upstream : impl_->upstreams) {
    if (!upstream->in_flight) next_ms = std::min(next_ms, upstream->next_lookup_ms);
  }
  return next_ms;
}

UpstreamStatus Resolver::status(std::string_view name, std::uint16_t port) const {
  const Upstream* upstream = impl_->find(name, port);
  if (upstream == nullptr) return {};
  return {upstream->schedule.health(), upstream->last_error, upstream->schedule.failures(),
          upstream->in_flight};
}

}  // namespace ringway::dns
