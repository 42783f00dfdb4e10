// Copyright 2026 The ssh-socket-proxy Authors.
//
// Fuzzes the vsock multiplexer reply reader with a scripted peer (FakePeer):
// the input says what arrives, in which pieces, with which pauses, and how
// the connection ends. Properties: the reader consumes nothing but one
// complete, well-formed OK line; loses no byte; reads into bounded buffers;
// gives up within its timeout; and ends in one of the documented outcomes.
//
// Input: byte 0 picks the timeout (100 ms to 1.6 s); then events, each a
// control byte c: c%5 in {0,1}: ((c>>3)%16)+1 data bytes follow; 2: silence
// of (c>>3)*10 ms; 3: EOF; 4: reset. A script without EOF or reset ends in a
// long silence.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_check.h"
#include "net/mux.h"
#include "net/testing/fake_peer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sshproxy::net::FakePeer;
  using sshproxy::net::MuxReply;
  if (size == 0 || size > 512) return 0;
  const absl::Duration timeout = absl::Milliseconds(100) * ((data[0] % 16) + 1);
  FakePeer peer;
  std::string sent;
  bool ended = false;
  for (size_t i = 1; i < size && !ended;) {
    const uint8_t c = data[i++];
    switch (c % 5) {
      case 0:
      case 1: {
        size_t n = std::min<size_t>(((c >> 3) % 16) + 1, size - i);
        std::string bytes(reinterpret_cast<const char*>(data + i), n);
        i += n;
        if (!bytes.empty()) {
          peer.Arrive(bytes);
          sent += bytes;
        }
        break;
      }
      case 2:
        peer.Silence(absl::Milliseconds(10) * (c >> 3));
        break;
      case 3:
        peer.Eof();
        ended = true;
        break;
      case 4:
        peer.Reset();
        ended = true;
        break;
    }
  }
  if (!ended) peer.Silence(absl::Hours(1));

  absl::StatusOr<MuxReply> r =
      sshproxy::net::ReadMuxReply(peer, FakePeer::kFd, timeout, "port 22 on /m");

  FUZZ_CHECK(peer.max_recv_len() <= sshproxy::net::kMaxMuxReply, "recv of %zu",
             peer.max_recv_len());
  FUZZ_CHECK(peer.elapsed() <= timeout + absl::Milliseconds(100),
             "took %s with a timeout of %s",
             absl::FormatDuration(peer.elapsed()).c_str(),
             absl::FormatDuration(timeout).c_str());
  // Nothing lost: what was consumed plus what is left is what was sent.
  FUZZ_CHECK(peer.consumed() + peer.Unconsumed() == sent, "bytes lost");
  // Nothing sent to the multiplexer by the reader.
  FUZZ_CHECK(peer.written().empty(), "reader wrote");

  if (!r.ok()) {
    FUZZ_CHECK(peer.consumed().empty(), "consumed on error");
    const absl::StatusCode code = r.status().code();
    FUZZ_CHECK(code == absl::StatusCode::kUnavailable ||
                   code == absl::StatusCode::kDataLoss ||
                   code == absl::StatusCode::kInternal ||
                   code == absl::StatusCode::kUnknown ||
                   code == absl::StatusCode::kAborted,
               "unexpected code %d", static_cast<int>(code));
    FUZZ_CHECK(r.status().message().find('\n') == absl::string_view::npos,
               "multi-line message");
    if (code == absl::StatusCode::kUnavailable) {
      FUZZ_CHECK(absl::StrContains(r.status().message(), "is not open"),
                 "unavailable without 'is not open'");
    }
    return 0;
  }
  switch (r->kind) {
    case MuxReply::Kind::kOk: {
      const std::string& line = peer.consumed();
      FUZZ_CHECK(absl::StartsWith(line, "OK ") && absl::EndsWith(line, "\n") &&
                     line.size() >= 5 && line.size() <= 14,
                 "consumed something other than an OK line");
      uint64_t port = 0;
      for (char ch : absl::string_view(line).substr(3, line.size() - 4)) {
        FUZZ_CHECK(ch >= '0' && ch <= '9', "non-digit in consumed port");
        port = port * 10 + static_cast<uint64_t>(ch - '0');
      }
      FUZZ_CHECK(port == r->host_port, "host port mismatch");
      FUZZ_CHECK(absl::StartsWith(sent, line), "OK line not at the start");
      break;
    }
    case MuxReply::Kind::kNoOkLine: {
      FUZZ_CHECK(peer.consumed().empty(), "consumed a non-OK reply");
      const size_t head = std::min<size_t>(sent.size(), 3);
      FUZZ_CHECK(!sent.empty() && sent.substr(0, head) != std::string("OK ").substr(0, head),
                 "an OK prefix was called no OK line");
      break;
    }
    case MuxReply::Kind::kSilent:
      FUZZ_CHECK(peer.consumed().empty(), "consumed while silent");
      FUZZ_CHECK(peer.elapsed() >= timeout, "silent before the timeout");
      break;
  }
  return 0;
}
