#include "paypipe/infra/amqp/errors.hpp"

namespace paypipe::infra::amqp {

domain::Error ErrorFromReplyCode(std::uint16_t reply_code, std::string message) {
  using domain::Error;
  auto transient = [&](std::string_view code) {
    return Error::Transient(std::string(code), std::move(message));
  };
  auto permanent = [&](std::string_view code) {
    return Error::Permanent(std::string(code), std::move(message));
  };
  switch (reply_code) {
    case 311:  // CONTENT_TOO_LARGE
      return permanent(kErrContentTooLarge);
    case 312:  // NO_ROUTE
      return permanent(kErrUnroutable);
    case 320:  // CONNECTION_FORCED: broker shutdown, operator closed the connection
      return transient(kErrConnectionLost);
    case 403:  // ACCESS_REFUSED
      return permanent(kErrAccessRefused);
    case 404:  // NOT_FOUND
      return permanent(kErrNotFound);
    case 405:  // RESOURCE_LOCKED: e.g. an exclusive queue held by another connection
      return transient(kErrResourceLocked);
    case 406:  // PRECONDITION_FAILED: inequivalent arguments, unknown delivery tag
      return permanent(kErrPreconditionFailed);
    case 530:  // NOT_ALLOWED
      return permanent(kErrNotAllowed);
    case 501:  // FRAME_ERROR
    case 502:  // SYNTAX_ERROR
    case 503:  // COMMAND_INVALID
    case 504:  // CHANNEL_ERROR
    case 505:  // UNEXPECTED_FRAME
    case 540:  // NOT_IMPLEMENTED
      return permanent(kErrProtocol);
    case 313:  // NO_CONSUMERS
    case 506:  // RESOURCE_ERROR
    case 541:  // INTERNAL_ERROR
    default:
      return transient(kErrBrokerError);
  }
}

}  // namespace paypipe::infra::amqp
