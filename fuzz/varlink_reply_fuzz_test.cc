// Copyright 2026 The ssh-socket-proxy Authors.
//
// Fuzzes the decoder of systemd-machined's Varlink replies: any bytes a
// process listening on the machined socket could send. Properties: it never
// crashes or throws, it classifies every reply as a record or one of the
// documented errors, a decoded CID is a real address, and a reply that
// decodes re-decodes the same after a JSON round trip (no state leaks
// between fields).

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "fuzz/fuzz_check.h"
#include "lookup/machine.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sshproxy::lookup::DecodeMachineReply;
  using sshproxy::lookup::MachineRecord;
  if (size > 64 * 1024) return 0;
  const absl::string_view reply(reinterpret_cast<const char*>(data), size);

  absl::StatusOr<MachineRecord> r = DecodeMachineReply(reply);
  if (!r.ok()) {
    const absl::StatusCode code = r.status().code();
    FUZZ_CHECK(code == absl::StatusCode::kNotFound ||
                   code == absl::StatusCode::kFailedPrecondition ||
                   code == absl::StatusCode::kDataLoss,
               "unexpected code %d", static_cast<int>(code));
    for (char c : r.status().message()) {
      FUZZ_CHECK(c != '\n', "multi-line message");
    }
    return 0;
  }
  if (r->vsock_cid.has_value()) {
    FUZZ_CHECK(*r->vsock_cid != 0xffffffffu, "VMADDR_CID_ANY accepted");
  }
  // Rebuild the reply from what was decoded; it must decode the same.
  nlohmann::json params = nlohmann::json::object();
  params["class"] = r->machine_class;
  params["service"] = r->service;
  if (r->vsock_cid) params["vSockCid"] = *r->vsock_cid;
  if (r->ssh_address) params["sshAddress"] = *r->ssh_address;
  const std::string again_text =
      nlohmann::json{{"parameters", params}}.dump(-1, ' ', false,
                                                  nlohmann::json::error_handler_t::replace);
  absl::StatusOr<MachineRecord> again = DecodeMachineReply(again_text);
  FUZZ_CHECK(again.ok(), "re-encoded reply rejected: %s", again_text.c_str());
  FUZZ_CHECK(again->machine_class == r->machine_class && again->service == r->service &&
                 again->vsock_cid == r->vsock_cid && again->ssh_address == r->ssh_address,
             "round trip changed the record");
  return 0;
}
