#include "ringway/acme/hop_marker.h"

namespace ringway::acme {

bool carries_hop_marker(const http::RequestHead& head) {
  return http::has_header(head, "x-ringway-hop");
}

}  // namespace ringway::acme
