#include "hunter/core/chain_answer.hpp"

#include <array>
#include <charconv>

namespace hunter::core {
namespace {

struct InvalidText {
  Rejection kind;
  std::string_view data;
};
constexpr std::array<InvalidText, 5> kInvalid = {{
    {Rejection::kOutdated, "Transaction is outdated"},
    {Rejection::kFuture, "Transaction will be valid in the future"},
    {Rejection::kBadSignature, "Transaction has a bad signature"},
    {Rejection::kAncientBirth, "Transaction has an ancient birth block"},
    {Rejection::kCannotPay, "Inability to pay some fees (e.g. account balance too low)"},
}};
constexpr std::string_view kCustomPrefix = "Custom error: ";

std::optional<CustomError> parseCustom(std::string_view data) {
  if (data.substr(0, kCustomPrefix.size()) != kCustomPrefix) return std::nullopt;
  data.remove_prefix(kCustomPrefix.size());
  unsigned n = 0;
  auto [end, ec] = std::from_chars(data.data(), data.data() + data.size(), n);
  if (ec != std::errc{} || end != data.data() + data.size() || n < 1 || n > 8) return std::nullopt;
  return static_cast<CustomError>(n);
}

}  // namespace

bool isTransport(const Error& e) {
  return e.code == "timeout" || e.code == "unreachable" || e.code == "transport" ||
         e.code == "response_too_large" || e.code == "bad_response" ||
         e.code.rfind("http_", 0) == 0;
}

ChainAnswer classify(const Error& e) {
  if (isTransport(e)) return {Rejection::kTransport, std::nullopt};
  if (e.code == "1001") return {Rejection::kBadFormat, std::nullopt};
  if (e.code == "1013") return {Rejection::kAlreadyImported, std::nullopt};
  if (e.code == "1014") return {Rejection::kPriorityTooLow, std::nullopt};
  if (e.code == "1016") return {Rejection::kPoolFull, std::nullopt};
  if (e.code != "1010") return {Rejection::kOther, std::nullopt};
  for (const auto& t : kInvalid) {
    if (e.message == t.data) return {t.kind, std::nullopt};
  }
  // Substrate prefixes this one with its own wording on some versions; the start is stable.
  if (e.message.rfind("Inability to pay", 0) == 0) return {Rejection::kCannotPay, std::nullopt};
  if (auto c = parseCustom(e.message)) return {Rejection::kCustom, c};
  return {Rejection::kInvalidOther, std::nullopt};
}

std::string_view invalidTransactionData(Rejection kind) {
  for (const auto& t : kInvalid) {
    if (t.kind == kind) return t.data;
  }
  return {};
}

std::string customErrorData(CustomError e) {
  return std::string(kCustomPrefix) + std::to_string(static_cast<int>(e));
}

std::string reasonLabel(const Error& e) { return e.code == "1010" ? e.message : e.code; }

bool gatherAgainAfter(CustomError e) {
  switch (e) {
    case CustomError::kMalformedSignature:
    case CustomError::kBelowThreshold:
    case CustomError::kDuplicateSigner:
    case CustomError::kUnknownSigner:
    case CustomError::kPrevHashMismatch:
      return true;
    case CustomError::kUnknownCluster:
    case CustomError::kBadBatch:
    case CustomError::kBadMessage:
      return false;
  }
  return false;
}

}  // namespace hunter::core
