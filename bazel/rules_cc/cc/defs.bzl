"""Offline stand-in for @rules_cc on Debian's Bazel 4.2.3.

Debian ships a rules_cc newer than Bazel 4.2.3 understands (it loads
use_cpp_toolchain, which 4.2.3 lacks), and nothing may be downloaded. The cc
rules are built into Bazel 4, so re-exporting the native ones is all that
projects loading @rules_cc//cc:defs.bzl need.
"""

cc_binary = native.cc_binary
cc_import = native.cc_import
cc_library = native.cc_library
cc_proto_library = native.cc_proto_library
cc_test = native.cc_test
fdo_prefetch_hints = native.fdo_prefetch_hints
fdo_profile = native.fdo_profile
objc_library = native.objc_library
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
