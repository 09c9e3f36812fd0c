#include "wire.hpp"

#include <charconv>
#include <limits>
#include <optional>

namespace paypipe::infra::amqp::detail {

timeval ToTimeval(std::chrono::nanoseconds duration) {
  timeval tv{};
  if (duration <= std::chrono::nanoseconds::zero()) return tv;
  const auto micros = std::chrono::ceil<std::chrono::microseconds>(duration).count();
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(micros / 1'000'000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>(micros % 1'000'000);
  return tv;
}

amqp_table_t EncodeTable(const FieldTable& table, std::vector<amqp_table_entry_t>& entries) {
  entries.clear();
  entries.reserve(table.size());
  for (const auto& [key, value] : table) {
    amqp_table_entry_t& entry = entries.emplace_back();
    entry.key = Bytes(key);
    if (const auto* text = std::get_if<std::string>(&value)) {
      entry.value.kind = AMQP_FIELD_KIND_UTF8;
      entry.value.value.bytes = Bytes(*text);
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
      entry.value.kind = AMQP_FIELD_KIND_I64;
      entry.value.value.i64 = *number;
    } else {
      entry.value.kind = AMQP_FIELD_KIND_BOOLEAN;
      entry.value.value.boolean = std::get<bool>(value) ? 1 : 0;
    }
  }
  amqp_table_t result;
  result.num_entries = static_cast<int>(entries.size());
  result.entries = entries.empty() ? nullptr : entries.data();
  return result;
}

FieldTable DecodeTable(const amqp_table_t& table) {
  FieldTable result;
  if (table.num_entries <= 0 || table.entries == nullptr) return result;
  result.reserve(static_cast<std::size_t>(table.num_entries));
  for (int i = 0; i < table.num_entries; ++i) {
    const amqp_table_entry_t& entry = table.entries[i];
    const amqp_field_value_t& value = entry.value;
    std::optional<FieldValue> decoded;
    switch (value.kind) {
      case AMQP_FIELD_KIND_BOOLEAN:
        decoded = value.value.boolean != 0;
        break;
      case AMQP_FIELD_KIND_I8:
        decoded = std::int64_t{value.value.i8};
        break;
      case AMQP_FIELD_KIND_U8:
        decoded = std::int64_t{value.value.u8};
        break;
      case AMQP_FIELD_KIND_I16:
        decoded = std::int64_t{value.value.i16};
        break;
      case AMQP_FIELD_KIND_U16:
        decoded = std::int64_t{value.value.u16};
        break;
      case AMQP_FIELD_KIND_I32:
        decoded = std::int64_t{value.value.i32};
        break;
      case AMQP_FIELD_KIND_U32:
        decoded = std::int64_t{value.value.u32};
        break;
      case AMQP_FIELD_KIND_I64:
        decoded = std::int64_t{value.value.i64};
        break;
      case AMQP_FIELD_KIND_U64:
      case AMQP_FIELD_KIND_TIMESTAMP:
        if (value.value.u64 <=
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          decoded = static_cast<std::int64_t>(value.value.u64);
        }
        break;
      case AMQP_FIELD_KIND_UTF8:
      case AMQP_FIELD_KIND_BYTES:
        decoded = Copy(value.value.bytes);
        break;
      default:  // floats, decimals, arrays, nested tables, void: not used by paypipe
        break;
    }
    if (decoded) result.Set(Copy(entry.key), std::move(*decoded));
  }
  return result;
}

MessageProperties DecodeProperties(const amqp_basic_properties_t& properties) {
  MessageProperties result;
  const amqp_flags_t flags = properties._flags;
  result.content_type.clear();
  if ((flags & AMQP_BASIC_CONTENT_TYPE_FLAG) != 0) {
    result.content_type = Copy(properties.content_type);
  }
  if ((flags & AMQP_BASIC_MESSAGE_ID_FLAG) != 0) result.message_id = Copy(properties.message_id);
  if ((flags & AMQP_BASIC_CORRELATION_ID_FLAG) != 0) {
    result.correlation_id = Copy(properties.correlation_id);
  }
  if ((flags & AMQP_BASIC_TYPE_FLAG) != 0) result.type = Copy(properties.type);
  if ((flags & AMQP_BASIC_TIMESTAMP_FLAG) != 0) {
    result.timestamp = std::chrono::sys_seconds(
        std::chrono::seconds(static_cast<std::int64_t>(properties.timestamp)));
  }
  if ((flags & AMQP_BASIC_EXPIRATION_FLAG) != 0) {
    const std::string_view text = View(properties.expiration);
    std::int64_t millis = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), millis);
    if (ec == std::errc{} && ptr == text.data() + text.size()) {
      result.expiration = std::chrono::milliseconds(millis);
    }
  }
  if ((flags & AMQP_BASIC_HEADERS_FLAG) != 0) result.headers = DecodeTable(properties.headers);
  return result;
}

}  // namespace paypipe::infra::amqp::detail
