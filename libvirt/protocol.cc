// Copyright 2026 The ssh-socket-proxy Authors.

#include "libvirt/protocol.h"

#include <utility>

namespace sshproxy::libvirt {
namespace {

constexpr std::pair<Scope, absl::string_view> kScopes[] = {
    {Scope::kAny, "any"}, {Scope::kSystem, "system"}, {Scope::kSession, "session"}};

constexpr std::pair<HelperError, absl::string_view> kErrors[] = {
    {HelperError::kUsage, "usage"},       {HelperError::kNotFound, "not_found"},
    {HelperError::kUnreachable, "unreachable"}, {HelperError::kDenied, "denied"},
    {HelperError::kShutOff, "shut_off"},  {HelperError::kNoVsock, "no_vsock"},
    {HelperError::kNoCid, "no_cid"},      {HelperError::kNoSession, "no_session"},
    {HelperError::kBadXml, "bad_xml"},
};

template <typename T, size_t N>
absl::string_view WordOf(const std::pair<T, absl::string_view> (&table)[N], T value) {
  for (const auto& [v, word] : table) {
    if (v == value) return word;
  }
  return table[0].second;
}

template <typename T, size_t N>
std::optional<T> ValueOf(const std::pair<T, absl::string_view> (&table)[N],
                         absl::string_view word) {
  for (const auto& [v, w] : table) {
    if (w == word) return v;
  }
  return std::nullopt;
}

}  // namespace

absl::string_view ScopeWord(Scope scope) { return WordOf(kScopes, scope); }
std::optional<Scope> ParseScope(absl::string_view word) { return ValueOf(kScopes, word); }

absl::string_view ErrorWord(HelperError error) { return WordOf(kErrors, error); }
std::optional<HelperError> ParseError(absl::string_view word) {
  return ValueOf(kErrors, word);
}

}  // namespace sshproxy::libvirt
