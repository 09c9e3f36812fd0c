#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "paypipe/domain/result.hpp"

namespace paypipe::infra::db {

// Where and as whom to connect: `mysql://user:pass@host:port/database`.
//
// User, password and database are percent-decoded (a password containing `/`, `?`, `#` or
// `%` must be written percent-encoded; a raw `@` is accepted because the user part ends at
// the last `@`). IPv6 hosts are written in brackets: `mysql://u:p@[::1]:3306/db`. The port
// defaults to 3306; the database may be empty (`mysql://u:p@host/`). Query strings are
// refused rather than silently ignored, since an ignored `?ssl-mode=...` would be a surprise.
//
// The password is a secret: no message produced by this type contains it, and Redacted() is
// the form to log. Serialize() is the only way to get it back into a URL.
struct MysqlUrl {
  static constexpr std::uint16_t kDefaultPort = 3306;

  std::string user;
  std::string password;
  std::string host;
  std::uint16_t port = kDefaultPort;
  std::string database;

  // Parses `text`. A malformed URL is a Permanent "DB_URL_INVALID" error whose message names
  // the part that is wrong, never the password.
  [[nodiscard]] static domain::Result<MysqlUrl> Parse(std::string_view text);

  // `mysql://user:***@host:port/database`: safe to log.
  [[nodiscard]] std::string Redacted() const;
  // The full URL, percent-encoded so that Parse(Serialize()) gives this value back. Contains
  // the password: never log it.
  [[nodiscard]] std::string Serialize() const;

  [[nodiscard]] MysqlUrl WithDatabase(std::string name) const;

  friend bool operator==(const MysqlUrl&, const MysqlUrl&) = default;
};

}  // namespace paypipe::infra::db
