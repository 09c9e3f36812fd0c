#include "paypipe/domain/amount_check.hpp"

#include <string>

namespace paypipe::domain {

AmountCheck CheckConfirmRequest(Money order_amount, Money requested_amount) {
  return AmountCheck{
      requested_amount == order_amount ? AmountAction::kProceed : AmountAction::kRefuseAndAlert,
      order_amount, requested_amount};
}

AmountCheck CheckPgPayment(Money order_amount, const ObservedPayment& observed) {
  AmountCheck check{AmountAction::kProceed, order_amount, observed.total};
  if (observed.total == order_amount) return check;
  const bool at_stake =
      IsApproved(observed) || observed.status == PaymentStatus::kWaitingForDeposit;
  check.action = at_stake ? AmountAction::kCancelAndAlert : AmountAction::kRefuseAndAlert;
  return check;
}

Error AmountMismatchError(const AmountCheck& check) {
  std::string action;
  switch (check.action) {
    case AmountAction::kProceed:
      action = "none";
      break;
    case AmountAction::kRefuseAndAlert:
      action = "payment refused";
      break;
    case AmountAction::kCancelAndAlert:
      action = "payment canceled";
      break;
  }
  return Error::Permanent(std::string(kPaymentAmountMismatch),
                          "order amount " + check.expected.Format() + ", payment amount " +
                              check.actual.Format() + " (" + action + ")");
}

}  // namespace paypipe::domain
