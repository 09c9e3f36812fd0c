#pragma once

// The amount check: a payment must be for exactly the order's amount.
//
// The success redirect carries the amount in the browser's hands, so a tampered payment window
// can pay 100 won for a 15,000 won order; Toss asks the merchant to compare it with the order
// before confirming, and PortOne payments are already paid when we first see them (their
// webhooks carry no amount: re-fetch and compare). What to do depends on whether money moved:
// before approval, refuse (do not confirm; the PG lets the payment expire); after approval,
// cancel the whole payment (payment_cancels origin AUTO) — both with an alert.

#include <string_view>

#include "paypipe/domain/money.hpp"
#include "paypipe/domain/payment_state.hpp"
#include "paypipe/domain/result.hpp"

namespace paypipe::domain {

inline constexpr std::string_view kPaymentAmountMismatch = "PAYMENT_AMOUNT_MISMATCH";

enum class AmountAction {
  kProceed,         // amounts match
  kRefuseAndAlert,  // mismatch, nothing captured: do not confirm or record it as paid; alert
  kCancelAndAlert,  // mismatch, money (or a virtual account) at stake: cancel it in full; alert
};

struct AmountCheck {
  AmountAction action = AmountAction::kProceed;
  Money expected;  // the order's amount
  Money actual;    // what the request or the PG says
};

// Before the confirm call: the amount of the success redirect against the order.
[[nodiscard]] AmountCheck CheckConfirmRequest(Money order_amount, Money requested_amount);

// After the PG reported the payment (confirm response, look-up): its total against the order.
// An approved payment, or an issued virtual account that could still be paid, is canceled.
[[nodiscard]] AmountCheck CheckPgPayment(Money order_amount, const ObservedPayment& observed);

// The Permanent kPaymentAmountMismatch error naming both amounts: for the alert, the failure
// history and the message's outcome. Only meaningful when the action is not kProceed.
[[nodiscard]] Error AmountMismatchError(const AmountCheck& check);

}  // namespace paypipe::domain
