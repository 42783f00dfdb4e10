// Copyright 2026 The ssh-socket-proxy Authors.

#include "net/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/io.h"
#include "net/unique_fd.h"
#include "nlohmann/json.hpp"

namespace sshproxy::net {
namespace {

using json = nlohmann::json;

constexpr absl::string_view kNeedsLibvirt = "qemu/ needs libvirt: install libvirt0";

// Text from the helper for a message: its first line, printable, bounded.
std::string Excerpt(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text.substr(0, text.find('\n')));
  return absl::CHexEscape(text.substr(0, 300));
}

// The helper's message, one printable line whatever libvirt said.
std::string OneLine(absl::string_view text) {
  std::string line;
  for (char c : text) {
    line.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  return line;
}

absl::StatusCode CodeOf(absl::string_view error) {
  if (error == "not_found") return absl::StatusCode::kNotFound;
  if (error == "unreachable" || error == "shut_off" || error == "no_cid") {
    return absl::StatusCode::kUnavailable;
  }
  if (error == "denied") return absl::StatusCode::kPermissionDenied;
  if (error == "no_vsock" || error == "no_session") {
    return absl::StatusCode::kFailedPrecondition;
  }
  if (error == "bad_xml") return absl::StatusCode::kDataLoss;
  return absl::StatusCode::kInternal;
}

absl::Status BadAnswer(absl::string_view why, absl::string_view output) {
  return absl::DataLossError(absl::StrCat("the qemu/ lookup helper ", why, ": \"",
                                          Excerpt(output), "\""));
}

// ld.so's message when it cannot load a library the helper needs.
bool IsLoaderMessage(absl::string_view output) {
  return absl::StrContains(output, "error while loading shared libraries");
}

// The loader's own failure: exit 127 before main() ran.
absl::Status LoaderFailure(absl::string_view output) {
  if (IsLoaderMessage(output) &&
      (absl::StrContains(output, "libvirt") || absl::StrContains(output, "libxml2"))) {
    return absl::FailedPreconditionError(kNeedsLibvirt);
  }
  return absl::FailedPreconditionError(
      absl::StrCat("the qemu/ lookup helper could not start: ", Excerpt(output)));
}

absl::StatusOr<LibvirtDomain> DecodeDomain(const json& answer,
                                           absl::string_view output) {
  const auto cid = answer.find("cid");
  const auto uri = answer.find("uri");
  const auto name = answer.find("name");
  const auto id = answer.find("id");
  if (cid == answer.end() || !cid->is_number_unsigned() || uri == answer.end() ||
      !uri->is_string() || name == answer.end() || !name->is_string() ||
      id == answer.end() || !id->is_number_integer()) {
    return BadAnswer("answered without cid, uri, name and id", output);
  }
  const uint64_t value = cid->get<uint64_t>();
  if (value < 3 || value >= 0xffffffffu) {
    return BadAnswer("answered with an impossible CID", output);
  }
  return LibvirtDomain{OneLine(uri->get<std::string>()),
                       OneLine(name->get<std::string>()), id->get<int64_t>(),
                       static_cast<uint32_t>(value)};
}

// Reads until EOF, kMaxLibvirtAnswer or `deadline`.
absl::StatusOr<std::string> ReadAnswer(Syscalls& sys, int fd, absl::Time deadline) {
  absl::StatusOr<BoundedRead> r =
      ReadBounded(sys, fd, deadline, {kMaxLibvirtAnswer, std::nullopt}, "qemu/ lookup");
  if (!r.ok()) return r.status();
  switch (r->end) {
    case BoundedRead::End::kTimedOut:
      return absl::DeadlineExceededError("no answer in time");
    case BoundedRead::End::kTooLong:
      return absl::DataLossError(absl::StrCat("the qemu/ lookup helper said more than ",
                                              kMaxLibvirtAnswer, " bytes"));
    case BoundedRead::End::kStop:
    case BoundedRead::End::kEof:
      break;
  }
  return std::move(r->data);
}

// Collects the helper's exit status. It closed its output, so it is exiting;
// one that lingers past `deadline` is killed. nullopt: the status is lost
// (ECHILD: the kernel reaped it, as it does while SIGCHLD is ignored).
absl::StatusOr<std::optional<int>> Reap(Syscalls& sys, pid_t pid, absl::Time deadline,
                                        bool kill) {
  for (;;) {
    int status = 0;
    if (kill || sys.Now() >= deadline) {
      sys.Kill(pid, SIGKILL);
      while (sys.WaitPid(pid, &status, 0).error == EINTR) {}
      return absl::DeadlineExceededError("killed");
    }
    SyscallResult<pid_t> r = sys.WaitPid(pid, &status, WNOHANG);
    if (!r.ok() && r.error == ECHILD) return std::nullopt;
    if (!r.ok() && r.error != EINTR) {
      return absl::ErrnoToStatus(r.error, "qemu/ lookup: waitpid");
    }
    if (r.ok() && r.value == pid) return status;
    if (r.ok()) SleepFor(sys, absl::Milliseconds(5));
  }
}

std::string Seconds(absl::Duration d) {
  return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(100)));
}

// Why no helper could be started from `paths`: none there, or one there
// that may not be run (`denied`).
absl::Status NoHelper(const std::vector<std::string>& paths, absl::string_view denied) {
  if (!denied.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the qemu/ lookup helper ", denied, " may not be run (Permission denied): "
        "make it executable (chmod 755 ", denied, "), or reinstall ssh-socket-proxy"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "qemu/ needs its lookup helper ", kLibvirtHelper, ", which is not at ",
      absl::StrJoin(paths, " nor at "), ": install it with ssh-socket-proxy "
      "(next to it, or in PREFIX/libexec/ssh-socket-proxy/ for PREFIX/bin/)"));
}

// Starts the first of `paths` that can be run with `args` (args[0] is
// replaced by the path), its stdout and stderr on `out_fd`. A path that is
// missing (ENOENT) or may not be run (EACCES: a noexec mount, a lost mode)
// leaves the next one to try.
absl::StatusOr<pid_t> SpawnHelper(Syscalls& sys, const std::vector<std::string>& paths,
                                  std::vector<std::string> args, int out_fd) {
  std::string denied;  // the first path that is there but may not be run
  for (const std::string& path : paths) {
    args[0] = path;
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    SyscallResult<pid_t> r = sys.Spawn(path.c_str(), argv.data(), out_fd);
    if (r.ok()) return r.value;
    if (r.error == EACCES && denied.empty()) denied = path;
    if (r.error != ENOENT && r.error != EACCES) {
      return absl::ErrnoToStatus(r.error, absl::StrCat("run the qemu/ lookup helper ", path));
    }
  }
  return NoHelper(paths, denied);
}

// The helper's SCOPE word for `scope`.
const char* ScopeWord(LibvirtScope scope) {
  switch (scope) {
    case LibvirtScope::kSystem: return "system";
    case LibvirtScope::kSession: return "session";
    case LibvirtScope::kAny: break;
  }
  return "any";
}

}  // namespace

std::vector<std::string> LibvirtHelperPaths(absl::string_view self) {
  std::vector<std::string> paths;
  const size_t slash = self.rfind('/');
  if (slash == absl::string_view::npos) return paths;
  const absl::string_view dir = self.substr(0, slash);
  paths.push_back(absl::StrCat(dir, "/", kLibvirtHelper));
  const size_t up = dir.rfind('/');
  if (up != absl::string_view::npos && dir.substr(up + 1) == "bin") {
    paths.push_back(absl::StrCat(dir.substr(0, up), "/libexec/ssh-socket-proxy/",
                                 kLibvirtHelper));
  }
  return paths;
}

absl::StatusOr<LibvirtDomain> DecodeLibvirtAnswer(absl::string_view output,
                                                  std::optional<int> wait_status) {
  if (wait_status.has_value() && WIFSIGNALED(*wait_status)) {
    return absl::InternalError(absl::StrCat("the qemu/ lookup helper died of signal ",
                                            WTERMSIG(*wait_status)));
  }
  // Without a status, the loader's message is the only sign of its exit 127.
  std::optional<int> code;
  if (wait_status.has_value()) {
    code = WIFEXITED(*wait_status) ? WEXITSTATUS(*wait_status) : -1;
  }
  if (code == 127 || (!code.has_value() && IsLoaderMessage(output))) {
    return LoaderFailure(output);
  }
  // The answer is the first line that is a JSON object; stderr (a library's
  // warning, a sanitizer's report) may come before or after it.
  absl::string_view line;
  for (absl::string_view rest = output; !rest.empty();) {
    const size_t nl = std::min(rest.find('\n'), rest.size());
    if (absl::StartsWith(rest, "{")) {
      line = rest.substr(0, nl);
      break;
    }
    rest.remove_prefix(std::min(nl + 1, rest.size()));
  }
  const json answer = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object()) return BadAnswer("answered something else", output);
  if (const auto error = answer.find("error"); error != answer.end()) {
    const auto message = answer.find("message");
    if (!error->is_string() || message == answer.end() || !message->is_string()) {
      return BadAnswer("answered with a malformed error", output);
    }
    return absl::Status(CodeOf(error->get<std::string>()),
                        OneLine(message->get<std::string>()));
  }
  if (code.has_value() && *code != 0) {
    return BadAnswer(absl::StrCat("exited ", *code, " after"), output);
  }
  return DecodeDomain(answer, output);
}

absl::StatusOr<LibvirtDomain> LookupLibvirtDomain(Syscalls& sys,
                                                  const LibvirtQuery& query,
                                                  absl::Duration timeout) {
  const absl::Time deadline = sys.Now() + timeout;
  char self[4096];
  SyscallResult<ssize_t> n = sys.ReadLink("/proc/self/exe", self, sizeof(self));
  if (!n.ok() || n.value <= 0 || static_cast<size_t>(n.value) >= sizeof(self)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "qemu/ needs its lookup helper ", kLibvirtHelper,
        ", which is found next to the proxy, but where the proxy is cannot be told: ",
        n.ok() ? "/proc/self/exe is too long"
               : absl::ErrnoToStatus(n.error, "readlink /proc/self/exe").message()));
  }
  const std::vector<std::string> paths =
      LibvirtHelperPaths(absl::string_view(self, static_cast<size_t>(n.value)));

  int fds[2];
  if (SyscallResult<int> p = sys.Pipe2(fds, O_CLOEXEC); !p.ok()) {
    return absl::ErrnoToStatus(p.error, "qemu/ lookup: pipe2");
  }
  UniqueFd out(sys, fds[0]);
  UniqueFd in(sys, fds[1]);
  std::vector<std::string> args = {"", ScopeWord(query.scope), query.domain};
  if (!query.uri.empty()) args.push_back(query.uri);
  absl::StatusOr<pid_t> pid = SpawnHelper(sys, paths, std::move(args), in.get());
  if (!pid.ok()) return pid.status();
  in.reset();  // The child's copy is the only writer left: EOF when it exits.

  absl::StatusOr<std::string> output = ReadAnswer(sys, out.get(), deadline);
  absl::StatusOr<std::optional<int>> status = Reap(sys, *pid, deadline, !output.ok());
  if (!output.ok()) {
    if (absl::IsDeadlineExceeded(output.status())) {
      return absl::DeadlineExceededError(
          absl::StrCat("libvirt did not answer about qemu domain '", query.domain,
                       "' within ", Seconds(timeout)));
    }
    return output.status();
  }
  if (absl::IsDeadlineExceeded(status.status())) {
    return absl::DeadlineExceededError(absl::StrCat(
        "the qemu/ lookup helper answered but did not exit within ", Seconds(timeout)));
  }
  if (!status.ok()) return status.status();
  return DecodeLibvirtAnswer(*output, *status);
}

}  // namespace sshproxy::net
