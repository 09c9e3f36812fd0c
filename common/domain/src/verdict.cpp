#include "paypipe/domain/verdict.hpp"

namespace paypipe::domain {

const char* ToString(Verdict verdict) {
  switch (verdict) {
    case Verdict::kApply:
      return "apply";
    case Verdict::kDuplicate:
      return "duplicate";
    case Verdict::kStale:
      return "stale";
  }
  return "unknown";
}

}  // namespace paypipe::domain
