"""Declares the libraries ssh-socket-proxy builds against, from the system.

A WORKSPACE that uses @ssh_socket_proxy calls ssh_socket_proxy_dependencies()
after declaring it. Repositories that already exist (say, upstream Abseil
pulled from source) are left alone, so our targets build against those.
"""

load("//bazel:pkg_config.bzl", "pkg_config_repository")

# Upstream Abseil label -> pkg-config module. The packages and names are
# upstream's (abseil-cpp's BUILD.bazel files); Debian names every module
# absl_<target>.
_ABSL_LABELS = [
    "absl/algorithm:container",
    "absl/base",
    "absl/base:core_headers",
    "absl/cleanup",
    "absl/container:btree",
    "absl/container:fixed_array",
    "absl/container:flat_hash_map",
    "absl/container:flat_hash_set",
    "absl/container:inlined_vector",
    "absl/flags:flag",
    "absl/flags:parse",
    "absl/flags:usage",
    "absl/functional:any_invocable",
    "absl/functional:bind_front",
    "absl/functional:function_ref",
    "absl/hash",
    "absl/memory",
    "absl/numeric:bits",
    "absl/numeric:int128",
    "absl/random",
    "absl/status",
    "absl/status:statusor",
    "absl/strings",
    "absl/strings:cord",
    "absl/strings:str_format",
    "absl/synchronization",
    "absl/time",
    "absl/types:optional",
    "absl/types:span",
    "absl/types:variant",
    "absl/utility",
]

_ABSL_MODULE_RENAMES = {
    # Upstream's target names where Debian's module name differs.
    "absl/flags:flag": "absl_flags",
    "absl/flags:parse": "absl_flags_parse",
    "absl/flags:usage": "absl_flags_usage",
    "absl/random": "absl_random_random",
    "absl/algorithm:container": "absl_algorithm_container",
}

def _absl_targets():
    targets = {}
    for label in _ABSL_LABELS:
        package, _, name = label.partition(":")
        module = "absl_" + (name or package.split("/")[-1])
        targets[label] = _ABSL_MODULE_RENAMES.get(label, module)
    return targets

def ssh_socket_proxy_dependencies():
    """Declares Abseil, RE2, GoogleTest, nlohmann-json, libvirt, libxml2."""
    existing = native.existing_rules()
    if "com_google_absl" not in existing:
        pkg_config_repository(
            name = "com_google_absl",
            targets = _absl_targets(),
        )
    if "com_googlesource_code_re2" not in existing:
        pkg_config_repository(
            name = "com_googlesource_code_re2",
            targets = {":re2": "re2"},
        )
    if "com_google_googletest" not in existing:
        pkg_config_repository(
            name = "com_google_googletest",
            targets = {
                ":gtest": "gtest",
                ":gtest_main": "gtest_main",
                ":gmock": "gmock",
                ":gmock_main": "gmock_main",
            },
        )
    if "com_github_nlohmann_json" not in existing:
        pkg_config_repository(
            name = "com_github_nlohmann_json",
            targets = {":json": "nlohmann_json"},
        )
    # Only the qemu/ lookup helper links these, dynamically: libvirt has no
    # static archive, and libxml2's would drag in ICU, zlib and liblzma.
    if "org_libvirt" not in existing:
        pkg_config_repository(
            name = "org_libvirt",
            targets = {":libvirt": "libvirt"},
            dynamic = ["virt"],
        )
    if "org_gnome_libxml2" not in existing:
        pkg_config_repository(
            name = "org_gnome_libxml2",
            targets = {":libxml2": "libxml-2.0"},
            dynamic = ["xml2"],
        )
