#include "ringway/preflight/finding.h"

namespace ringway::preflight {

std::string_view verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::ok:
      return "ok";
    case Verdict::differs:
      return "differs";
    case Verdict::unavailable:
      return "unavailable";
    case Verdict::not_applicable:
      break;
  }
  return "n/a";
}

}  // namespace ringway::preflight
