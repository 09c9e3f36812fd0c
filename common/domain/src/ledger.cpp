#include "paypipe/domain/ledger.hpp"

namespace paypipe::domain {
namespace {

Error Invalid(std::string_view code, const Posting& posting, const std::string& why) {
  return Error::Permanent(std::string(code),
                          "ledger transaction '" + posting.transaction_id + "': " + why);
}

Result<Posting> Checked(Posting posting) {
  PAYPIPE_RETURN_IF_ERROR(CheckBalanced(posting));
  return posting;
}

Status CheckEntryAmount(Money amount, const char* what) {
  if (amount.IsNegative() || amount.IsZero()) {
    return Error::Permanent(std::string(kLedgerInvalidAmount),
                            std::string(what) + " amount must be positive, got " + amount.Format());
  }
  return Ok();
}

}  // namespace

const char* ToString(AccountType type) {
  switch (type) {
    case AccountType::kAsset:
      return "ASSET";
    case AccountType::kLiability:
      return "LIABILITY";
    case AccountType::kEquity:
      return "EQUITY";
    case AccountType::kRevenue:
      return "REVENUE";
    case AccountType::kExpense:
      return "EXPENSE";
  }
  return "UNKNOWN";
}

const char* ToString(PostingKind kind) {
  switch (kind) {
    case PostingKind::kPaymentCapture:
      return "PAYMENT_CAPTURE";
    case PostingKind::kPaymentCancel:
      return "PAYMENT_CANCEL";
    case PostingKind::kSettlement:
      return "SETTLEMENT";
  }
  return "UNKNOWN";
}

const char* ToString(Side side) { return side == Side::kDebit ? "DEBIT" : "CREDIT"; }

Status CheckBalanced(const Posting& posting) {
  if (posting.transaction_id.empty() || posting.transaction_id.size() > kMaxTransactionIdLength) {
    return Invalid(kLedgerInvalidTransactionId, posting,
                   "id must be 1.." + std::to_string(kMaxTransactionIdLength) + " characters");
  }
  if (posting.lines.empty()) return Invalid(kLedgerEmptyTransaction, posting, "no lines");
  Money debits = Money::Zero();
  Money credits = Money::Zero();
  for (std::size_t i = 0; i < posting.lines.size(); ++i) {
    const LedgerLine& line = posting.lines[i];
    const std::string where =
        "line " + std::to_string(i + 1) + " (" + std::string(line.account.code) + ")";
    if (line.debit.IsNegative() || line.credit.IsNegative()) {
      return Invalid(kLedgerNegativeAmount, posting, where + " has a negative amount");
    }
    if (line.debit.IsZero() == line.credit.IsZero()) {
      return Invalid(kLedgerInvalidLine, posting,
                     where + " must have exactly one positive side (debit " + line.debit.Format() +
                         ", credit " + line.credit.Format() + ")");
    }
    if (line.account.code.empty()) {
      return Invalid(kLedgerInvalidLine, posting, where + " has no account");
    }
    auto debit_sum = debits.Plus(line.debit);
    if (!debit_sum.ok()) return Fail(debit_sum.error());
    debits = *debit_sum;
    auto credit_sum = credits.Plus(line.credit);
    if (!credit_sum.ok()) return Fail(credit_sum.error());
    credits = *credit_sum;
  }
  if (debits != credits) {
    return Invalid(kLedgerUnbalanced, posting,
                   "debits " + debits.Format() + " != credits " + credits.Format());
  }
  return Ok();
}

Result<Posting> CapturePosting(const CaptureEntry& entry) {
  PAYPIPE_RETURN_IF_ERROR(CheckEntryAmount(entry.amount, "capture"));
  Posting posting;
  posting.transaction_id = "capture:" + std::to_string(entry.payment_id);
  posting.kind = PostingKind::kPaymentCapture;
  posting.business_date = entry.business_date;
  posting.partner_id = entry.partner_id;
  posting.order_id = entry.order_id;
  posting.payment_id = entry.payment_id;
  posting.lines = {LedgerLine::Debit(kPgReceivable, entry.amount),
                   LedgerLine::Credit(kPartnerPayable, entry.amount)};
  return Checked(std::move(posting));
}

Result<Posting> CancelPosting(const CancelEntry& entry) {
  PAYPIPE_RETURN_IF_ERROR(CheckEntryAmount(entry.amount, "cancel"));
  Posting posting;
  posting.transaction_id = "cancel:" + std::to_string(entry.payment_cancel_id);
  posting.kind = PostingKind::kPaymentCancel;
  posting.business_date = entry.business_date;
  posting.partner_id = entry.partner_id;
  posting.order_id = entry.order_id;
  posting.payment_id = entry.payment_id;
  posting.payment_cancel_id = entry.payment_cancel_id;
  posting.lines = {LedgerLine::Debit(kPartnerPayable, entry.amount),
                   LedgerLine::Credit(kPgReceivable, entry.amount)};
  return Checked(std::move(posting));
}

Result<FinanceView> FinanceViewOf(const Posting& posting) {
  Money net = Money::Zero();
  for (const LedgerLine& line : posting.lines) {
    if (line.account.type != AccountType::kAsset) continue;
    auto plus = net.Plus(line.debit);
    if (!plus.ok()) return Fail(plus.error());
    auto minus = plus->Minus(line.credit);
    if (!minus.ok()) return Fail(minus.error());
    net = *minus;
  }
  if (net.IsZero()) return FinanceView{FinanceFlow::kNone, Money::Zero()};
  if (net.IsNegative()) {
    auto magnitude = net.Negated();
    if (!magnitude.ok()) return Fail(magnitude.error());
    return FinanceView{FinanceFlow::kOutcome, *magnitude};
  }
  return FinanceView{FinanceFlow::kIncome, net};
}

}  // namespace paypipe::domain
