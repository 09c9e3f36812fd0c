#pragma once

// The check every message parser's tests make: a body with one bad member is refused as a
// Permanent MALFORMED_BODY error naming the message type and the member.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "paypipe/runtime/envelope.hpp"

namespace paypipe::messages::test {

using Replacements = std::vector<std::pair<std::string, nlohmann::json>>;

// For each (member, value): `good` with that member set to the value must be refused by `parse`
// with "<type>: '<member>'" in the message.
template <typename Parse>
void ExpectEachRefusedNamingTheField(Parse parse, std::string_view type, const nlohmann::json& good,
                                     const Replacements& replacements) {
  for (const auto& [field, value] : replacements) {
    nlohmann::json body = good;
    body[field] = value;
    const auto refused = parse(body);
    ASSERT_FALSE(refused.ok()) << field << "=" << value.dump();
    EXPECT_EQ(refused.error().kind, domain::ErrorKind::kPermanent);
    EXPECT_EQ(refused.error().code, runtime::kMalformedBody);
    EXPECT_THAT(refused.error().message,
                ::testing::HasSubstr(std::string(type) + ": '" + field + "'"));
  }
}

}  // namespace paypipe::messages::test
