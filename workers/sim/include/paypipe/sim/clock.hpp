#pragma once

#include "paypipe/infra/clock/clock.hpp"

namespace paypipe::sim {

// The sim reads time only through the shared clock interface: token expiry, idempotency windows,
// session expiry and webhook schedules are then testable with a FakeClock.
using Clock = infra::clock::Clock;
using TimePoint = infra::clock::WallTime;

}  // namespace paypipe::sim
