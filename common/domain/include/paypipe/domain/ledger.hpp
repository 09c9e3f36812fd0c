#pragma once

// Double-entry ledger postings (ledger_entries). A posting is one balanced transaction: its
// lines' debits equal its credits, every amount is positive and on one side. Postings are
// append-only; a cancel is a new reversing posting, never an edit.
//
// Accounts and what moves them:
//   payment captured  Dr pg_receivable (ASSET)      Cr partner_payable (LIABILITY)
//   payment canceled  Dr partner_payable            Cr pg_receivable
// The PG owes us what it captured until it pays out; we owe it to the partner until settlement.
// The finance_transactions view nets each transaction's ASSET lines: a capture shows as INCOME,
// a cancel as OUTCOME. Settlement (later) moves partner_payable to fee_revenue, vat_payable,
// withholding_payable and the payout out of bank — the same Posting type, more lines.
//
// Transaction ids are derived from the operation so that a redelivered message cannot post
// twice (unique (transaction_id, line_no)): capture:<payments.id>, cancel:<payment_cancels.id>.
// Internal row ids, not PG keys: a payment key may be 200 characters, the column holds 64.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "paypipe/domain/ids.hpp"
#include "paypipe/domain/money.hpp"
#include "paypipe/domain/result.hpp"

namespace paypipe::domain {

enum class AccountType { kAsset, kLiability, kEquity, kRevenue, kExpense };
[[nodiscard]] const char* ToString(AccountType type);  // ledger_entries.account_type

struct Account {
  std::string_view code;  // ledger_entries.account_code
  AccountType type = AccountType::kAsset;

  friend bool operator==(const Account&, const Account&) = default;
};

// What the PG owes us for captured payments until it pays them out.
inline constexpr Account kPgReceivable{"pg_receivable", AccountType::kAsset};
// What we owe partners for their sales until settlement pays them.
inline constexpr Account kPartnerPayable{"partner_payable", AccountType::kLiability};
// Settlement accounts (postings to come): our fee, the VAT on it, tax withheld from payouts,
// and our bank account that receives the PG's payouts and pays partners.
inline constexpr Account kFeeRevenue{"fee_revenue", AccountType::kRevenue};
inline constexpr Account kVatPayable{"vat_payable", AccountType::kLiability};
inline constexpr Account kWithholdingPayable{"withholding_payable", AccountType::kLiability};
inline constexpr Account kBank{"bank", AccountType::kAsset};

enum class PostingKind { kPaymentCapture, kPaymentCancel, kSettlement };
[[nodiscard]] const char* ToString(PostingKind kind);  // ledger_entries.kind

enum class Side { kDebit, kCredit };
[[nodiscard]] const char* ToString(Side side);  // ledger_entries.side

// One line: exactly one of debit / credit is positive, the other zero.
struct LedgerLine {
  Account account;
  Money debit;
  Money credit;

  [[nodiscard]] static LedgerLine Debit(Account account, Money amount) {
    return {account, amount, Money::Zero()};
  }
  [[nodiscard]] static LedgerLine Credit(Account account, Money amount) {
    return {account, Money::Zero(), amount};
  }
  // The row form (side, amount > 0) of a line that passed CheckBalanced.
  [[nodiscard]] Side side() const { return debit.IsZero() ? Side::kCredit : Side::kDebit; }
  [[nodiscard]] Money amount() const { return debit.IsZero() ? credit : debit; }
};

inline constexpr std::size_t kMaxTransactionIdLength = 64;  // ledger_entries.transaction_id

struct Posting {
  std::string transaction_id;
  PostingKind kind = PostingKind::kPaymentCapture;
  std::chrono::year_month_day business_date;  // KST date it counts for in settlement
  PartnerId partner_id;
  OrderId order_id;  // empty for settlement postings
  std::optional<std::int64_t> payment_id;
  std::optional<std::int64_t> payment_cancel_id;
  std::optional<std::int64_t> settlement_id;
  std::vector<LedgerLine> lines;  // line_no = index + 1
};

// Stable error codes (all Permanent: a posting that fails them must never be written).
inline constexpr std::string_view kLedgerEmptyTransaction = "LEDGER_EMPTY_TRANSACTION";
inline constexpr std::string_view kLedgerNegativeAmount = "LEDGER_NEGATIVE_AMOUNT";
inline constexpr std::string_view kLedgerInvalidLine = "LEDGER_INVALID_LINE";
inline constexpr std::string_view kLedgerUnbalanced = "LEDGER_UNBALANCED";
inline constexpr std::string_view kLedgerInvalidTransactionId = "LEDGER_INVALID_TRANSACTION_ID";
inline constexpr std::string_view kLedgerInvalidAmount = "LEDGER_INVALID_AMOUNT";

// Ok when the posting can be written: a transaction id of 1..64 characters, at least one line,
// no negative amount, each line on exactly one side of one account, debits == credits (so a
// lone line never passes).
[[nodiscard]] Status CheckBalanced(const Posting& posting);

// A payment's capture, posted when it becomes approved.
struct CaptureEntry {
  std::int64_t payment_id = 0;
  PartnerId partner_id;
  OrderId order_id;
  Money amount;                               // > 0: the payment's total
  std::chrono::year_month_day business_date;  // KST date of approved_at
};

// One cancel of a payment (a payment_cancels row), posted when the PG confirms it.
struct CancelEntry {
  std::int64_t payment_id = 0;
  std::int64_t payment_cancel_id = 0;
  PartnerId partner_id;
  OrderId order_id;
  Money amount;                               // > 0: what the PG canceled
  std::chrono::year_month_day business_date;  // KST date of canceled_at
};

// Balanced postings for a capture (INCOME) and a cancel (OUTCOME). kLedgerInvalidAmount when the
// amount is not positive.
[[nodiscard]] Result<Posting> CapturePosting(const CaptureEntry& entry);
[[nodiscard]] Result<Posting> CancelPosting(const CancelEntry& entry);

// How the finance_transactions view shows a posting: INCOME when its ASSET lines net to a
// debit, OUTCOME when they net to a credit, absent when assets do not change.
enum class FinanceFlow { kIncome, kOutcome, kNone };
struct FinanceView {
  FinanceFlow flow = FinanceFlow::kNone;
  Money amount;  // the absolute net
};
[[nodiscard]] Result<FinanceView> FinanceViewOf(const Posting& posting);

}  // namespace paypipe::domain
