"""Macros every slabkit package builds with, so copts live in one place."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

# Warnings are errors for slabkit's own code (not for third-party headers).
SLABKIT_COPTS = [
    "-Werror",
    "-Wno-sign-compare",
    # Partial aggregate initialization ({"name", 64}) is how configs are written.
    "-Wno-missing-field-initializers",
]

def slabkit_cc_library(name, copts = [], **kwargs):
    cc_library(name = name, copts = SLABKIT_COPTS + copts, **kwargs)

def slabkit_cc_binary(name, copts = [], **kwargs):
    cc_binary(name = name, copts = SLABKIT_COPTS + copts, **kwargs)

def slabkit_cc_test(name, copts = [], deps = [], gtest = True, **kwargs):
    """A cc_test; links GoogleTest's main unless gtest = False."""
    extra = ["@com_google_googletest//:gtest_main"] if gtest else []
    cc_test(name = name, copts = SLABKIT_COPTS + copts, deps = deps + extra, **kwargs)

def slabkit_cc_fuzzer(name, srcs, corpus, deps = [], copts = [], **kwargs):
    """A fuzz target `name` and a test `name + "_test"` that runs it for a
    few seconds from `corpus` (a directory in this package).

    Under --config=fuzz (clang, docs/testing.md) the target is a libFuzzer
    binary; otherwise testing/fuzz_driver.cc supplies main(), which replays
    the corpus and runs inputs mutated from it, so `bazel test //...` runs
    every target too.
    """
    cc_binary(
        name = name,
        srcs = srcs,
        copts = SLABKIT_COPTS + copts,
        deps = deps + select({
            "//tools:libfuzzer": [],
            "//conditions:default": ["//testing:fuzz_driver"],
        }),
        linkopts = select({
            "//tools:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        testonly = True,
        tags = ["fuzz"],
        **kwargs
    )
    native.sh_test(
        name = name + "_test",
        srcs = ["//testing:run_fuzzer.sh"],
        args = ["$(location :%s)" % name, native.package_name() + "/" + corpus],
        data = [":" + name] + native.glob([corpus + "/**"]),
        tags = ["fuzz"],
    )
