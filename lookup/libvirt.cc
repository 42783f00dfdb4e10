// Copyright 2026 The ssh-socket-proxy Authors.

#include "lookup/libvirt.h"

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
#include "libvirt/protocol.h"
#include "net/error.h"
#include "net/io.h"
#include "net/unique_fd.h"
#include "nlohmann/json.hpp"

namespace sshproxy::lookup {
namespace {

using json = nlohmann::json;

using libvirt::HelperError;

// The Debian package the helper comes in; it depends on every library the
// helper links.
constexpr absl::string_view kHelperPackage = "ssh-socket-proxy-libvirt";

// What ld.so prints before the library's name when it cannot load one:
// "PROG: error while loading shared libraries: libx.so.1: cannot open ...".
// The one decision in this tree taken on an error's text, and only when the
// helper's exit status is lost (waitpid's ECHILD, see Reap): with a status,
// exit 127 decides. The text is a foreign program's, and
// there is no other source; README's Layout names this exception.
constexpr absl::string_view kLoaderWords = "error while loading shared libraries: ";

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

absl::StatusCode CodeOf(HelperError error) {
  switch (error) {
    case HelperError::kNotFound: return absl::StatusCode::kNotFound;
    case HelperError::kUnreachable:
    case HelperError::kShutOff:
    case HelperError::kNoCid: return absl::StatusCode::kUnavailable;
    case HelperError::kDenied: return absl::StatusCode::kPermissionDenied;
    case HelperError::kNoVsock:
    case HelperError::kNoSession: return absl::StatusCode::kFailedPrecondition;
    case HelperError::kBadXml: return absl::StatusCode::kDataLoss;
    case HelperError::kUsage: break;
  }
  return absl::StatusCode::kInternal;
}

absl::Status BadAnswer(absl::string_view why, absl::string_view output) {
  return absl::DataLossError(absl::StrCat("the qemu/ lookup helper ", why, ": \"",
                                          Excerpt(output), "\""));
}

// ld.so's message when it cannot load a library the helper needs.
bool IsLoaderMessage(absl::string_view output) {
  return absl::StrContains(output, kLoaderWords);
}

// The loader's own failure: exit 127 before main() ran. Its words after
// kLoaderWords name the library and why ("libatomic.so.1: cannot open shared
// object file: ..."); its words before them are the helper's own path, which
// contains "libvirt" whatever the library is.
absl::Status LoaderFailure(absl::string_view output) {
  const size_t at = output.find(kLoaderWords);
  if (at == absl::string_view::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat("the qemu/ lookup helper could not start: ", Excerpt(output)));
  }
  const absl::string_view why = output.substr(at + kLoaderWords.size());
  absl::string_view library = why.substr(0, std::min(why.find(':'), why.find('\n')));
  // A library that is there but broken is named by its path.
  library.remove_prefix(std::min(library.rfind('/') + 1, library.size()));
  return net::WithHint(
      absl::FailedPreconditionError(absl::StrCat(
          "the qemu/ lookup helper cannot start: shared library ", Excerpt(why))),
      absl::StrCat("install the package that provides ", Excerpt(library),
                   " (on Debian, installing ", kHelperPackage,
                   " brings every library the helper needs)"));
}

// An error answer: its word decides the code, its hint is a field.
absl::Status DecodeError(const json& answer, absl::string_view output) {
  const auto error = answer.find(libvirt::kErrorKey);
  const auto message = answer.find(libvirt::kMessageKey);
  const auto hint = answer.find(libvirt::kHintKey);
  if (!error->is_string() || message == answer.end() || !message->is_string() ||
      (hint != answer.end() && !hint->is_string())) {
    return BadAnswer("answered with a malformed error", output);
  }
  const std::optional<HelperError> word = libvirt::ParseError(error->get<std::string>());
  return net::WithHint(absl::Status(word.has_value() ? CodeOf(*word) : absl::StatusCode::kInternal,
                               OneLine(message->get<std::string>())),
                  hint == answer.end() ? "" : OneLine(hint->get<std::string>()));
}

absl::StatusOr<LibvirtDomain> DecodeDomain(const json& answer,
                                           absl::string_view output) {
  const auto cid = answer.find(libvirt::kCidKey);
  const auto uri = answer.find(libvirt::kUriKey);
  const auto name = answer.find(libvirt::kNameKey);
  const auto id = answer.find(libvirt::kIdKey);
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

// Reads until EOF, libvirt::kMaxAnswer or `deadline`.
absl::StatusOr<std::string> ReadAnswer(net::Syscalls& sys, int fd, absl::Time deadline) {
  absl::StatusOr<net::BoundedRead> r =
      net::ReadBounded(sys, fd, deadline, {libvirt::kMaxAnswer, std::nullopt}, "qemu/ lookup");
  if (!r.ok()) return r.status();
  switch (r->end) {
    case net::BoundedRead::End::kTimedOut:
      return absl::DeadlineExceededError("no answer in time");
    case net::BoundedRead::End::kTooLong:
      return absl::DataLossError(absl::StrCat("the qemu/ lookup helper said more than ",
                                              libvirt::kMaxAnswer, " bytes"));
    case net::BoundedRead::End::kStop:
    case net::BoundedRead::End::kEof:
      break;
  }
  return std::move(r->data);
}

// Collects the helper's exit status. It closed its output, so it is exiting;
// one that lingers past `deadline` is killed. A loop of its own rather than
// net::PollUntil on a pidfd: net/io.h says why. nullopt: the status is lost
// (ECHILD: the kernel reaped it, as it does while SIGCHLD is ignored).
absl::StatusOr<std::optional<int>> Reap(ProcessSyscalls& sys, pid_t pid, absl::Time deadline,
                                        bool kill) {
  for (;;) {
    int status = 0;
    if (kill || sys.Now() >= deadline) {
      sys.Kill(pid, SIGKILL);
      while (sys.WaitPid(pid, &status, 0).error == EINTR) {}
      return absl::DeadlineExceededError("killed");
    }
    net::SyscallResult<pid_t> r = sys.WaitPid(pid, &status, WNOHANG);
    if (!r.ok() && r.error == ECHILD) return std::nullopt;
    if (!r.ok() && r.error != EINTR) {
      return net::SyscallError(r.error, "qemu/ lookup: waitpid");
    }
    if (r.ok() && r.value == pid) return status;
    if (r.ok()) net::SleepFor(sys, absl::Milliseconds(5));
  }
}

std::string Seconds(absl::Duration d) {
  return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(100)));
}

// Why no helper could be started from `paths`: none there, or one there
// that may not be run (`denied`).
absl::Status NoHelper(const std::vector<std::string>& paths, absl::string_view denied) {
  if (!denied.empty()) {
    return net::WithHint(
        net::WithErrno(absl::FailedPreconditionError(absl::StrCat(
                           "the qemu/ lookup helper ", denied,
                           " may not be run (Permission denied)")),
                       EACCES),
        absl::StrCat("make it executable (chmod 755 ", denied, "), or reinstall ",
                     kHelperPackage));
  }
  return net::WithHint(
      absl::FailedPreconditionError(
          absl::StrCat("qemu/ needs its lookup helper ", libvirt::kHelperName,
                       ", which is not at ", absl::StrJoin(paths, " nor at "))),
      absl::StrCat("install the package ", kHelperPackage,
                   " (built from source: put it next to ssh-socket-proxy, or in "
                   "PREFIX/libexec/ssh-socket-proxy/ for PREFIX/bin/)"));
}

// Starts the first of `paths` that can be run with `args` (args[0] is
// replaced by the path), its stdout and stderr on `out_fd`. A path that is
// missing (ENOENT) or may not be run (EACCES: a noexec mount, a lost mode)
// leaves the next one to try.
absl::StatusOr<pid_t> SpawnHelper(ProcessSyscalls& sys, const std::vector<std::string>& paths,
                                  std::vector<std::string> args, int out_fd) {
  std::string denied;  // the first path that is there but may not be run
  for (const std::string& path : paths) {
    args[0] = path;
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    net::SyscallResult<pid_t> r = sys.Spawn(path.c_str(), argv.data(), out_fd);
    if (r.ok()) return r.value;
    if (r.error == EACCES && denied.empty()) denied = path;
    if (r.error != ENOENT && r.error != EACCES) {
      return net::SyscallError(r.error, absl::StrCat("run the qemu/ lookup helper ", path));
    }
  }
  return NoHelper(paths, denied);
}

}  // namespace

bool IsLocalLibvirtUri(absl::string_view uri) {
  const size_t colon = uri.find("://");
  if (colon == absl::string_view::npos || colon == 0) return false;
  const absl::string_view scheme = uri.substr(0, colon);
  const size_t plus = scheme.find('+');
  if (plus != absl::string_view::npos && scheme.substr(plus + 1) != "unix") return false;
  // The authority (user@host:port) is empty: the path follows at once.
  return absl::StartsWith(uri.substr(colon + 3), "/");
}

std::vector<std::string> LibvirtHelperPaths(absl::string_view self) {
  std::vector<std::string> paths;
  const size_t slash = self.rfind('/');
  if (slash == absl::string_view::npos) return paths;
  const absl::string_view dir = self.substr(0, slash);
  paths.push_back(absl::StrCat(dir, "/", libvirt::kHelperName));
  const size_t up = dir.rfind('/');
  if (up != absl::string_view::npos && dir.substr(up + 1) == "bin") {
    paths.push_back(absl::StrCat(dir.substr(0, up), "/libexec/ssh-socket-proxy/",
                                 libvirt::kHelperName));
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
  if (answer.contains(libvirt::kErrorKey)) return DecodeError(answer, output);
  if (code.has_value() && *code != 0) {
    return BadAnswer(absl::StrCat("exited ", *code, " after"), output);
  }
  return DecodeDomain(answer, output);
}

absl::StatusOr<LibvirtDomain> LookupLibvirtDomain(ProcessSyscalls& sys,
                                                  const LibvirtQuery& query,
                                                  absl::Duration timeout) {
  const absl::Time deadline = sys.Now() + timeout;
  char self[4096];
  net::SyscallResult<ssize_t> n = sys.ReadLink("/proc/self/exe", self, sizeof(self));
  if (!n.ok() || n.value <= 0 || static_cast<size_t>(n.value) >= sizeof(self)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "qemu/ needs its lookup helper ", libvirt::kHelperName,
        ", which is found next to the proxy, but where the proxy is cannot be told: ",
        n.ok() ? "/proc/self/exe is too long"
               : net::SyscallError(n.error, "readlink /proc/self/exe").message()));
  }
  const std::vector<std::string> paths =
      LibvirtHelperPaths(absl::string_view(self, static_cast<size_t>(n.value)));

  int fds[2];
  if (net::SyscallResult<int> p = sys.Pipe2(fds, O_CLOEXEC); !p.ok()) {
    return net::SyscallError(p.error, "qemu/ lookup: pipe2");
  }
  net::UniqueFd out(sys, fds[0]);
  net::UniqueFd in(sys, fds[1]);
  std::vector<std::string> args = {"", std::string(libvirt::ScopeWord(query.scope)),
                                   query.domain};
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

}  // namespace sshproxy::lookup
