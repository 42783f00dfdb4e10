"""Compiler flags for our own targets, in one place.

External libraries are compiled by Debian; these flags apply only to code in
this repository. Tests relax nothing but the warnings that GoogleTest's macros
trip over.
"""

SSHPROXY_COPTS = [
    "-std=c++17",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wshadow",
    "-Wnon-virtual-dtor",
    "-Wconversion",
    "-Wno-sign-conversion",
    "-Wimplicit-fallthrough",
    "-Wformat=2",
]

SSHPROXY_TEST_COPTS = SSHPROXY_COPTS + [
    "-Wno-conversion",
]
