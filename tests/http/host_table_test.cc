#include "ringway/http/host_table.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "guarded_buffer.h"

// Counts every allocation in this test, so a lookup that builds a string shows.
// Out of line: inlined, GCC would see operator delete meet malloc and warn.
namespace {
std::size_t allocation_count = 0;
}  // namespace

[[gnu::noinline]] void* operator new(std::size_t bytes) {
  ++allocation_count;
  if (void* memory = std::malloc(bytes == 0 ? 1 : bytes)) return memory;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* memory) noexcept {
  std::free(memory);
}
[[gnu::noinline]] void operator delete(void* memory, std::size_t /*bytes*/) noexcept {
  std::free(memory);
}

namespace ringway::http {
namespace {

using test_support::GuardedBuffer;

constexpr std::size_t default_entry = 1;

// Entry 0 and 4 both list opam.ocaml.org, and 3 and 5 both cover *.example.org:
// the first entry keeps a name. The exact w.match.test comes after *.match.test.
const std::vector<std::vector<std::string>> entries = {
    {"opam.ocaml.org", "OPAM-4.Ocaml.org"},
    {"staging.opam.ocaml.org", "rooted.test."},
    {"*.match.test"},
    {"*.example.org", "w.match.test"},
    {"opam.ocaml.org"},
    {"*.EXAMPLE.org", "*."},
};

struct LookupCase {
  const char* name;
  std::string_view host;
  std::optional<std::size_t> entry;  // nullopt: no entry lists it, so the default answers
};

void PrintTo(const LookupCase& lookup_case, std::ostream* out) {
  *out << lookup_case.name;
}

// One row per case reads better than one field per line.
// clang-format off
const LookupCase lookup_cases[] = {
    {"exact", "opam.ocaml.org", 0},
    {"second_name_of_an_entry", "staging.opam.ocaml.org", 1},
    {"case_of_the_lookup", "OPAM.Ocaml.ORG", 0},
    {"case_of_the_configured_name", "opam-4.ocaml.org", 0},
    {"trailing_dot_of_the_lookup", "opam.ocaml.org.", 0},
    {"trailing_dot_of_the_configured_name", "rooted.test", 1},
    {"trailing_dot_on_both", "rooted.test.", 1},
    {"only_one_trailing_dot_removed", "opam.ocaml.org..", std::nullopt},
    {"first_entry_keeps_a_name", "opam.ocaml.org", 0},
    {"wildcard", "a.example.org", 3},
    {"wildcard_any_case", "A.Example.ORG.", 3},
    {"wildcard_not_the_parent", "example.org", std::nullopt},
    {"wildcard_only_one_label_deep", "a.b.example.org", std::nullopt},
    {"wildcard_not_an_empty_label", ".example.org", std::nullopt},
    {"exact_beats_wildcard", "w.match.test", 3},
    {"wildcard_beside_the_exact_name", "x.match.test", 2},
    {"bare_wildcard_covers_nothing", "a..", std::nullopt},
    {"wildcard_text_is_one_label", "*.example.org", 3},
    {"unknown", "unknown.test", std::nullopt},
    {"single_label", "localhost", std::nullopt},
    {"empty", "", std::nullopt},
    {"only_dot", ".", std::nullopt},
    {"port_is_the_callers_to_strip", "opam.ocaml.org:443", std::nullopt},
};
// clang-format on

class HostTableLookup : public ::testing::TestWithParam<LookupCase> {};

TEST_P(HostTableLookup, finds_exact_then_wildcard_then_default) {
  static const HostTable with_default(entries, default_entry);
  static const HostTable without_default(entries);
  const LookupCase& lookup_case = GetParam();
  // The name ends at a guard page: a lookup that reads past it crashes.
  const GuardedBuffer host(lookup_case.host);

  std::size_t allocations_before = allocation_count;
  std::optional<std::size_t> matched = with_default.match(host.view());
  std::optional<std::size_t> found = with_default.find(host.view());
  std::optional<std::size_t> found_without_default = without_default.find(host.view());
  EXPECT_EQ(allocation_count, allocations_before) << "a lookup allocated";

  EXPECT_EQ(matched, lookup_case.entry);
  EXPECT_EQ(found, lookup_case.entry.value_or(default_entry));
  EXPECT_EQ(found_without_default, lookup_case.entry);
}

INSTANTIATE_TEST_SUITE_P(Cases, HostTableLookup, ::testing::ValuesIn(lookup_cases),
                         [](const ::testing::TestParamInfo<LookupCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(HostTable, KnowsItsSizeAndDefault) {
  EXPECT_EQ(HostTable(entries, 2).default_entry(), std::optional<std::size_t>(2));
  EXPECT_EQ(HostTable(entries).default_entry(), std::nullopt);
  EXPECT_EQ(HostTable(entries).size(), entries.size());
}

TEST(HostTable, EmptyTableFindsNothing) {
  HostTable table;
  EXPECT_EQ(table.size(), 0u);
  EXPECT_EQ(table.find("opam.ocaml.org"), std::nullopt);
  EXPECT_EQ(table.find(""), std::nullopt);
}

}  // namespace
}  // namespace ringway::http
