#pragma once
// Runs ringway: opens the listeners, starts one pinned worker per CPU, runs the
// control loop on the calling thread until SIGTERM/SIGINT, then stops gracefully.

#include <cstddef>
#include <vector>

#include "ringway/config/config.h"

namespace ringway::app {

// The CPUs in this process's affinity mask.
std::vector<int> allowed_cpus();
// How many workers config asks for on these CPUs.
std::size_t worker_count_for(const config::Config& config, const std::vector<int>& cpus);

// Returns the process exit code: 0 after a graceful stop, 1 when it could not start.
int run_server(const config::Config& config);

}  // namespace ringway::app
