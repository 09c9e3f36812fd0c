#include "paypipe/pg/pg_mapping.hpp"

#include <cctype>
#include <charconv>
#include <chrono>

namespace paypipe::pg {

using domain::Instant;
using domain::Money;
using domain::PgProvider;
using nlohmann::json;

PgProvider PgProviderOf(messages::Provider provider) {
  switch (provider) {
    case messages::Provider::kToss:
      return PgProvider::kToss;
    case messages::Provider::kPortOne:
      return PgProvider::kPortOneV2;
    case messages::Provider::kPortOneV1:
      return PgProvider::kPortOneV1;
  }
  return PgProvider::kToss;
}

std::string ConfirmIdempotencyKey(messages::Provider provider, std::string_view payment_key) {
  return std::string("paypipe-confirm:") + messages::ToString(provider) + ":" +
         std::string(payment_key);
}

std::string AutoCancelIdempotencyKey(messages::Provider provider, std::string_view payment_key) {
  return std::string("paypipe-auto-cancel:") + messages::ToString(provider) + ":" +
         std::string(payment_key);
}

domain::PgCallFailure FailureOf(const PgReply& reply) {
  domain::PgCallFailure failure;
  failure.delivery = reply.delivery;
  failure.http_status = reply.http_status;
  if (reply.delivery != domain::CallDelivery::kResponded) {
    failure.message = reply.error_code + ": " + reply.error_message;
    return failure;
  }
  const json body = json::parse(reply.response, nullptr, false);
  if (body.is_object()) {
    const char* code_field = reply.provider == PgProvider::kPortOneV2 ? "type" : "code";
    if (body.contains(code_field) && body[code_field].is_string()) {
      failure.code = body[code_field].get<std::string>();
    }
    if (body.contains("message") && body["message"].is_string()) {
      failure.message = body["message"].get<std::string>();
    }
  }
  return failure;
}

namespace {

bool ReadInt(std::string_view text, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > text.size()) return false;
  const char* first = text.data() + pos;
  const auto [end, ec] = std::from_chars(first, first + len, out);
  return ec == std::errc() && end == first + len;
}

domain::Error Malformed(std::string what) {
  return domain::Error::Permanent(std::string(kPgResponseMalformed), std::move(what));
}

}  // namespace

std::optional<Instant> ParseIsoInstant(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || !ReadInt(text, 0, 4, y) || !ReadInt(text, 5, 2, mo) ||
      !ReadInt(text, 8, 2, d) || !ReadInt(text, 11, 2, h) || !ReadInt(text, 14, 2, mi) ||
      !ReadInt(text, 17, 2, s)) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(mo),
                                         std::chrono::day(d)};
  if (!date.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])) != 0) {
      if (digits < 6) micros = micros * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  std::chrono::minutes offset = domain::kKstOffset;  // no offset: KST (Toss webhooks)
  if (pos < text.size()) {
    if (text[pos] == 'Z' && pos + 1 == text.size()) {
      offset = std::chrono::minutes(0);
    } else if ((text[pos] == '+' || text[pos] == '-') && text.size() == pos + 6 &&
               text[pos + 3] == ':') {
      int oh = 0, om = 0;
      if (!ReadInt(text, pos + 1, 2, oh) || !ReadInt(text, pos + 4, 2, om)) return std::nullopt;
      offset = std::chrono::minutes(oh * 60 + om);
      if (text[pos] == '-') offset = -offset;
    } else {
      return std::nullopt;
    }
  }
  const auto local = std::chrono::sys_days(date) + std::chrono::hours(h) +
                     std::chrono::minutes(mi) + std::chrono::seconds(s) +
                     std::chrono::microseconds(micros);
  return Instant(local - offset);
}

namespace {

std::string Text(const json& object, const char* field) {
  if (object.contains(field) && object[field].is_string()) return object[field].get<std::string>();
  return {};
}

domain::Result<Money> Amount(const json& object, const char* field) {
  if (!object.contains(field) || !object[field].is_number_integer()) {
    return Malformed(std::string("'") + field + "' is not a whole amount");
  }
  return Money::Krw(object[field].get<std::int64_t>());
}

// An amount the PG may leave out or null (zero then).
domain::Result<Money> OptionalAmount(const json& object, const char* field) {
  if (!object.contains(field) || object[field].is_null()) return Money::Zero();
  return Amount(object, field);
}

std::optional<Instant> IsoField(const json& object, const char* field) {
  const std::string text = Text(object, field);
  return text.empty() ? std::nullopt : ParseIsoInstant(text);
}

std::optional<Instant> UnixField(const json& object, const char* field) {
  if (!object.contains(field) || !object[field].is_number_integer()) return std::nullopt;
  const auto seconds = object[field].get<std::int64_t>();
  if (seconds <= 0) return std::nullopt;
  return Instant(std::chrono::seconds(seconds));
}

}  // namespace

domain::Result<PgPayment> ParseTossPayment(const json& payment) {
  if (!payment.is_object()) return Malformed("Toss payment is not an object");
  PgPayment out;
  auto status = domain::MapTossStatus(Text(payment, "status"));
  if (!status.ok()) return status.error();
  out.observed.status = *status;
  auto total = Amount(payment, "totalAmount");
  if (!total.ok()) return total.error();
  auto balance = Amount(payment, "balanceAmount");
  if (!balance.ok()) return balance.error();
  out.observed.total = *total;
  out.observed.balance = *balance;
  out.observed.approved_at = IsoField(payment, "approvedAt");
  if (payment.contains("cancels") && payment["cancels"].is_array()) {
    for (const json& cancel : payment["cancels"]) {
      auto amount = Amount(cancel, "cancelAmount");
      if (!amount.ok()) return amount.error();
      auto tax_free = OptionalAmount(cancel, "taxFreeAmount");
      if (!tax_free.ok()) return tax_free.error();
      out.observed.cancels.push_back(
          {Text(cancel, "transactionKey"), *amount, IsoField(cancel, "canceledAt"), *tax_free});
    }
    if (!out.observed.cancels.empty() && out.observed.balance.IsZero()) {
      out.observed.canceled_at = out.observed.cancels.back().canceled_at;
    }
  }
  out.order_id = Text(payment, "orderId");
  out.method = Text(payment, "method");
  out.payment_type = Text(payment, "type");
  out.last_transaction_key = Text(payment, "lastTransactionKey");
  out.secret = Text(payment, "secret");
  if (payment.contains("failure") && payment["failure"].is_object()) {
    out.failure_code = Text(payment["failure"], "code");
    out.failure_message = Text(payment["failure"], "message");
  }
  return out;
}

domain::Result<PgPayment> ParsePortOneV2Payment(const json& payment) {
  if (!payment.is_object() || !payment.contains("amount") || !payment["amount"].is_object()) {
    return Malformed("PortOne V2 payment has no amount object");
  }
  PgPayment out;
  auto status = domain::MapPortOneV2Status(Text(payment, "status"));
  if (!status.ok()) return status.error();
  out.observed.status = *status;
  auto total = Amount(payment["amount"], "total");
  if (!total.ok()) return total.error();
  auto cancelled = Amount(payment["amount"], "cancelled");
  if (!cancelled.ok()) return cancelled.error();
  auto balance = total->Minus(*cancelled);
  if (!balance.ok()) return balance.error();
  out.observed.total = *total;
  out.observed.balance = *balance;
  out.observed.approved_at = IsoField(payment, "paidAt");
  out.observed.canceled_at = IsoField(payment, "cancelledAt");
  if (payment.contains("cancellations") && payment["cancellations"].is_array()) {
    for (const json& cancel : payment["cancellations"]) {
      auto amount = Amount(cancel, "totalAmount");
      if (!amount.ok()) return amount.error();
      auto tax_free = OptionalAmount(cancel, "taxFreeAmount");
      if (!tax_free.ok()) return tax_free.error();
      out.observed.cancels.push_back(
          {Text(cancel, "id"), *amount, IsoField(cancel, "cancelledAt"), *tax_free});
    }
  }
  out.order_id = Text(payment, "id");
  return out;
}

domain::Result<PgPayment> ParsePortOneV1Payment(const json& payment) {
  if (!payment.is_object()) return Malformed("PortOne V1 payment is not an object");
  auto amount = Amount(payment, "amount");
  if (!amount.ok()) return amount.error();
  auto cancel_amount = Amount(payment, "cancel_amount");
  if (!cancel_amount.ok()) return cancel_amount.error();
  const std::string status = Text(payment, "status");
  const bool vbank = payment.contains("vbank_num") && payment["vbank_num"].is_string() &&
                     !payment["vbank_num"].get<std::string>().empty();
  auto mapped = domain::MapPortOneV1Payment(
      {status, *amount, *cancel_amount,
       vbank ? domain::VirtualAccount::kIssued : domain::VirtualAccount::kNotIssued});
  if (!mapped.ok()) return mapped.error();
  PgPayment out;
  out.observed.status = mapped->status;
  out.observed.total = *amount;
  out.observed.balance = mapped->balance;
  out.observed.approved_at = UnixField(payment, "paid_at");
  out.observed.canceled_at = UnixField(payment, "cancelled_at");
  if (payment.contains("cancel_history") && payment["cancel_history"].is_array()) {
    for (const json& cancel : payment["cancel_history"]) {
      auto cancel_amount_i = Amount(cancel, "amount");
      if (!cancel_amount_i.ok()) return cancel_amount_i.error();
      // pg_tid is the payment's transaction at the underlying PG, the same for all its
      // cancels; cancellation_id names the cancel. V1 reports no tax-free part per cancel.
      out.observed.cancels.push_back({Text(cancel, "cancellation_id"), *cancel_amount_i,
                                      UnixField(cancel, "cancelled_at"), Money::Zero()});
    }
  }
  out.order_id = Text(payment, "merchant_uid");
  out.method = Text(payment, "pay_method");
  return out;
}

domain::Result<PgPayment> ParsePgPayment(PgProvider provider, const std::string& response_body) {
  const json body = json::parse(response_body, nullptr, false);
  if (body.is_discarded()) return Malformed("PG response is not JSON");
  switch (provider) {
    case PgProvider::kToss:
      return ParseTossPayment(body);
    case PgProvider::kPortOneV2:
      return ParsePortOneV2Payment(body);
    case PgProvider::kPortOneV1:
      if (!body.is_object() || !body.contains("response")) {
        return Malformed("PortOne V1 answer has no response");
      }
      return ParsePortOneV1Payment(body["response"]);
  }
  return Malformed("unknown provider");
}

namespace {

json InstantJson(const std::optional<Instant>& at) {
  return at ? json(at->time_since_epoch().count()) : json(nullptr);
}

std::optional<Instant> InstantFrom(const json& value) {
  if (!value.is_number_integer()) return std::nullopt;
  return Instant(std::chrono::microseconds(value.get<std::int64_t>()));
}

json OptionalText(const std::optional<std::string>& text) {
  return text ? json(*text) : json(nullptr);
}

}  // namespace

json ToJson(const PgPayment& payment) {
  json cancels = json::array();
  for (const auto& cancel : payment.observed.cancels) {
    cancels.push_back({{"transaction_key", cancel.transaction_key},
                       {"amount", cancel.amount.krw()},
                       {"canceled_at", InstantJson(cancel.canceled_at)},
                       {"tax_free_amount", cancel.tax_free_amount.krw()}});
  }
  return {{"status", domain::ToString(payment.observed.status)},
          {"total", payment.observed.total.krw()},
          {"balance", payment.observed.balance.krw()},
          {"approved_at", InstantJson(payment.observed.approved_at)},
          {"canceled_at", InstantJson(payment.observed.canceled_at)},
          {"cancels", std::move(cancels)},
          {"order_id", payment.order_id},
          {"method", payment.method},
          {"payment_type", payment.payment_type},
          {"last_transaction_key", payment.last_transaction_key},
          {"secret", payment.secret},
          {"failure_code", OptionalText(payment.failure_code)},
          {"failure_message", OptionalText(payment.failure_message)}};
}

domain::Result<PgPayment> PgPaymentFromJson(const json& j) {
  try {
    PgPayment out;
    auto status = domain::ParsePaymentStatus(j.at("status").get<std::string>());
    if (!status.ok()) return status.error();
    out.observed.status = *status;
    out.observed.total = Money::Krw(j.at("total").get<std::int64_t>());
    out.observed.balance = Money::Krw(j.at("balance").get<std::int64_t>());
    out.observed.approved_at = InstantFrom(j.at("approved_at"));
    out.observed.canceled_at = InstantFrom(j.at("canceled_at"));
    for (const json& cancel : j.at("cancels")) {
      // tax_free_amount may be absent in what an earlier version prepared.
      out.observed.cancels.push_back(
          {cancel.at("transaction_key").get<std::string>(),
           Money::Krw(cancel.at("amount").get<std::int64_t>()),
           InstantFrom(cancel.at("canceled_at")),
           Money::Krw(cancel.value("tax_free_amount", std::int64_t{0}))});
    }
    out.order_id = j.at("order_id").get<std::string>();
    out.method = j.at("method").get<std::string>();
    out.payment_type = j.at("payment_type").get<std::string>();
    out.last_transaction_key = j.at("last_transaction_key").get<std::string>();
    out.secret = j.at("secret").get<std::string>();
    if (j.at("failure_code").is_string()) out.failure_code = j["failure_code"].get<std::string>();
    if (j.at("failure_message").is_string()) {
      out.failure_message = j["failure_message"].get<std::string>();
    }
    return out;
  } catch (const json::exception& error) {
    return Malformed(std::string("prepared payment: ") + error.what());
  }
}

}  // namespace paypipe::pg
