#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"

namespace paypipe::infra::amqp {

// Error::code values produced by this adapter, with their kind.
//
// Transient (retry the call later; the adapter reconnects by itself):
inline constexpr std::string_view kErrUnreachable = "AMQP_UNREACHABLE";  // cannot connect
inline constexpr std::string_view kErrConnectionLost =
    "AMQP_CONNECTION_LOST";                                      // dropped, timed out
inline constexpr std::string_view kErrBlocked = "AMQP_BLOCKED";  // broker alarm: publishing paused
inline constexpr std::string_view kErrNacked = "AMQP_NACKED";    // broker refused to store
inline constexpr std::string_view kErrConsumerCancelled = "AMQP_CONSUMER_CANCELLED";
inline constexpr std::string_view kErrResourceLocked = "AMQP_RESOURCE_LOCKED";  // 405
inline constexpr std::string_view kErrBrokerError = "AMQP_BROKER_ERROR";        // 541, 506, unknown
// The delivery arrived on a channel that no longer exists. The broker has requeued it and
// will deliver it again: forget it, do not retry the ack. Transient.
inline constexpr std::string_view kErrStaleDelivery = "AMQP_STALE_DELIVERY";
//
// Permanent (retrying the same call cannot help):
inline constexpr std::string_view kErrUrlInvalid = "AMQP_URL_INVALID";
inline constexpr std::string_view kErrAuthFailed = "AMQP_AUTH_FAILED";  // login or vhost refused
inline constexpr std::string_view kErrPreconditionFailed = "AMQP_PRECONDITION_FAILED";  // 406
inline constexpr std::string_view kErrAccessRefused = "AMQP_ACCESS_REFUSED";            // 403
inline constexpr std::string_view kErrNotFound = "AMQP_NOT_FOUND";                      // 404
inline constexpr std::string_view kErrNotAllowed = "AMQP_NOT_ALLOWED";                  // 530
inline constexpr std::string_view kErrUnroutable = "AMQP_UNROUTABLE";                   // 312
inline constexpr std::string_view kErrContentTooLarge = "AMQP_CONTENT_TOO_LARGE";       // 311
inline constexpr std::string_view kErrInvalidMessage = "AMQP_INVALID_MESSAGE";
inline constexpr std::string_view kErrConfigInvalid = "AMQP_CONFIG_INVALID";
inline constexpr std::string_view kErrProtocol = "AMQP_PROTOCOL_ERROR";  // 5xx hard errors

// Classifies an AMQP reply code (from channel.close, connection.close or basic.return) into an
// Error carrying `message`, which should include the broker's reply text.
[[nodiscard]] domain::Error ErrorFromReplyCode(std::uint16_t reply_code, std::string message);

[[nodiscard]] inline bool IsStaleDelivery(const domain::Error& error) {
  return error.code == kErrStaleDelivery;
}

}  // namespace paypipe::infra::amqp
