#include "paypipe/domain/cancel_history.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace paypipe::domain {

std::string StoredTransactionKey(std::string_view key) {
  return std::string(key.substr(0, kMaxCancelTransactionKeyLength));
}

namespace {

// When a cancel happened: its own time, else the payment's cancel time for the cancel that
// emptied the balance, else the approval time (the earliest a refund can count for).
Result<Instant> TimeOf(std::optional<Instant> own, Money balance_after,
                       const ObservedPayment& observed, const PaymentTransition& transition) {
  if (own) return *own;
  if (balance_after.IsZero() && observed.canceled_at) return *observed.canceled_at;
  if (transition.approved_at) return *transition.approved_at;
  return Error::Permanent(std::string(kPaymentObservationInconsistent),
                          "a cancel of a payment " + std::string(ToString(observed.status)) +
                              " has no time, and the payment no approval time");
}

Result<NewCancel> Recorded(std::string key, Money amount, Money tax_free,
                           std::optional<Instant> own_time, Money& balance,
                           const ObservedPayment& observed, const PaymentTransition& transition) {
  auto after = balance.Minus(amount);
  if (!after.ok()) return Fail(after.error());
  balance = *after;
  auto at = TimeOf(own_time, balance, observed, transition);
  if (!at.ok()) return Fail(at.error());
  return NewCancel{std::move(key), amount, tax_free, *at, KstDate(*at), balance};
}

}  // namespace

Result<std::vector<NewCancel>> NewCancels(const ObservedPayment& observed,
                                          const PaymentTransition& transition,
                                          const std::vector<std::string>& held_keys) {
  std::vector<NewCancel> out;
  if (transition.refunded.IsNegative() || transition.refunded.IsZero()) return out;

  // A key names one cancel only when no other listed cancel carries it.
  std::map<std::string, int> listed;
  for (const ObservedCancel& cancel : observed.cancels) {
    ++listed[StoredTransactionKey(cancel.transaction_key)];
  }
  std::set<std::string> held;
  for (const std::string& key : held_keys) held.insert(StoredTransactionKey(key));

  std::vector<const ObservedCancel*> named;
  Money named_total = Money::Zero();
  Money unnamed_total = Money::Zero();
  std::optional<Instant> latest_unnamed;
  for (const ObservedCancel& cancel : observed.cancels) {
    const std::string key = StoredTransactionKey(cancel.transaction_key);
    if (key.empty() || listed[key] > 1) {
      auto sum = unnamed_total.Plus(cancel.amount);
      if (!sum.ok()) return Fail(sum.error());
      unnamed_total = *sum;
      if (cancel.canceled_at && (!latest_unnamed || *cancel.canceled_at > *latest_unnamed)) {
        latest_unnamed = cancel.canceled_at;
      }
      continue;
    }
    if (held.contains(key)) continue;
    named.push_back(&cancel);
    auto sum = named_total.Plus(cancel.amount);
    if (!sum.ok()) return Fail(sum.error());
    named_total = *sum;
  }
  auto rest = transition.refunded.Minus(named_total);
  if (!rest.ok()) return Fail(rest.error());
  // A listed payment's cancels add up to what it refunded (the state machine checks it), so
  // only cancels the PG does not name can make up a rest: anything else is money we hold cancels
  // for that the stored balance does not show, or the other way round.
  if (rest->IsNegative() || (!observed.cancels.empty() && *rest > unnamed_total)) {
    return Error::Permanent(std::string(kPaymentCancelsUnaccounted),
                            "the balance dropped by " + transition.refunded.Format() +
                                " since the state we hold, but the PG lists " +
                                std::to_string(named.size()) + " cancel(s) we do not hold worth " +
                                named_total.Format() + " and " + unnamed_total.Format() +
                                " of cancels without a key of their own");
  }

  // The balance before this change: what the transition refunds comes off it.
  auto balance = transition.balance_after.Plus(transition.refunded);
  if (!balance.ok()) return Fail(balance.error());
  for (const ObservedCancel* cancel : named) {
    auto recorded =
        Recorded(StoredTransactionKey(cancel->transaction_key), cancel->amount,
                 cancel->tax_free_amount, cancel->canceled_at, *balance, observed, transition);
    if (!recorded.ok()) return Fail(recorded.error());
    out.push_back(std::move(recorded).value());
  }
  if (!rest->IsZero()) {
    auto recorded =
        Recorded({}, *rest, Money::Zero(), latest_unnamed, *balance, observed, transition);
    if (!recorded.ok()) return Fail(recorded.error());
    out.push_back(std::move(recorded).value());
  }
  return out;
}

std::vector<CancelToRecord> MatchOpenRequests(const std::vector<NewCancel>& cancels,
                                              const std::vector<OpenCancelRequest>& open_requests) {
  std::vector<OpenCancelRequest> open = open_requests;
  std::ranges::sort(open, {}, &OpenCancelRequest::id);
  std::vector<bool> fulfilled(open.size(), false);
  auto take = [&](auto matches) -> std::optional<std::int64_t> {
    for (std::size_t i = 0; i < open.size(); ++i) {
      if (!fulfilled[i] && matches(open[i])) {
        fulfilled[i] = true;
        return open[i].id;
      }
    }
    return std::nullopt;
  };
  std::vector<CancelToRecord> out;
  out.reserve(cancels.size());
  for (const NewCancel& cancel : cancels) {
    auto request = take([&](const OpenCancelRequest& r) {
      return r.requested_amount && *r.requested_amount == cancel.amount;
    });
    if (!request && cancel.balance_after.IsZero()) {
      request = take([](const OpenCancelRequest& r) { return !r.requested_amount; });
    }
    out.push_back({cancel, request});
  }
  return out;
}

}  // namespace paypipe::domain
