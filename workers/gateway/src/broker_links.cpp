#include "paypipe/gateway/broker_links.hpp"

#include <algorithm>

namespace paypipe::gateway {

const char* ToString(LinkState state) {
  switch (state) {
    case LinkState::kConnecting:
      return "connecting";
    case LinkState::kUp:
      return "up";
    case LinkState::kDown:
      return "down";
  }
  return "down";
}

BrokerLinks::BrokerLinks(std::size_t count) : states_(count) {
  for (std::atomic<LinkState>& state : states_) state = LinkState::kConnecting;
}

void BrokerLinks::Report(std::size_t index, LinkState state) { states_[index] = state; }

LinkState BrokerLinks::state(std::size_t index) const { return states_[index].load(); }

bool BrokerLinks::any_up() const {
  return std::any_of(states_.begin(), states_.end(),
                     [](const std::atomic<LinkState>& state) { return state == LinkState::kUp; });
}

bool BrokerLinks::all_down() const {
  return !states_.empty() &&
         std::all_of(states_.begin(), states_.end(),
                     [](const std::atomic<LinkState>& state) { return state == LinkState::kDown; });
}

bool BrokerLinks::TakesWork(std::size_t index) const {
  return states_[index].load() == LinkState::kUp || !any_up();
}

}  // namespace paypipe::gateway
