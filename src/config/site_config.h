#pragma once
// Private to src/config/: the [https] table and the [[site]] array.

#include "table_reader.h"

namespace ringway::config {

void read_https(TableReader& reader, Config& config);
// Reads the root's "site" array of tables into config.sites.
void read_sites(TableReader& root, Config& config);
// Checks that [https] and the sites fit together (after both were read).
void check_https_sites(TableReader& root, const toml::table& table, const Config& config);

}  // namespace ringway::config
