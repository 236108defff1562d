#pragma once
// Runs a fake-ring scenario over many seeds. Each seed's worker log (standard
// error) is captured and shown only when the seed fails, with "seed N"; a
// crash (an assertion, ASan) prints the seed and the log too.
//
// RINGWAY_FAKE_SEED=N runs seed N alone with the log on standard error, to
// replay a failure; RINGWAY_FAKE_SEEDS=M runs M seeds instead of the default.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ringway::fake {

// one_seed returns empty, or what went wrong. True when every seed passed.
bool run_seeds(std::string_view scenario, std::uint64_t default_count,
               const std::function<std::string(std::uint64_t seed)>& one_seed);

}  // namespace ringway::fake
