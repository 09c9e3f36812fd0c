#include "paypipe/domain/result.hpp"

#include <stdexcept>

namespace paypipe::domain {

const char* ToString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kTransient:
      return "transient";
    case ErrorKind::kRetryTransaction:
      return "retry_transaction";
    case ErrorKind::kPermanent:
      return "permanent";
  }
  return "unknown";
}

std::string Error::ToString() const {
  return std::string(domain::ToString(kind)) + " " + code + ": " + message;
}

void ThrowBadResultAccess(bool wanted_value) {
  throw std::logic_error(wanted_value ? "Result: value() on an error"
                                      : "Result: error() on a value");
}

}  // namespace paypipe::domain
