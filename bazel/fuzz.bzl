"""cc_fuzz_test: one libFuzzer entry point, built two ways.

    cc_fuzz_test(
        name = "parse_target_fuzz_test",
        srcs = ["parse_target_fuzz_test.cc"],
        corpus = "//testdata/parse_target",
        deps = ["//parser"],
    )

defines
  - `name`: a cc_test that feeds every file of `corpus` (seeds and
    regressions) through LLVMFuzzerTestOneInput, so that `bazel test //...`
    replays them in every configuration;
  - `name + "_libfuzzer"`: the libFuzzer binary. It is tagged manual and
    only builds under --config=fuzz (clang, -fsanitize=fuzzer); ci/fuzz.sh
    runs it.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_test")
load("//bazel:copts.bzl", "SSHPROXY_TEST_COPTS")

def cc_fuzz_test(name, srcs, corpus, deps = [], **kwargs):
    cc_test(
        name = name,
        srcs = srcs,
        copts = SSHPROXY_TEST_COPTS,
        args = ["$(locations %s)" % corpus],
        data = [corpus],
        deps = deps + ["//bazel:fuzz_replay_main"],
        size = "small",
        **kwargs
    )
    cc_binary(
        name = name + "_libfuzzer",
        srcs = srcs,
        copts = SSHPROXY_TEST_COPTS,
        linkopts = ["-fsanitize=fuzzer"],
        deps = deps,
        tags = ["manual"],
        testonly = True,
    )
