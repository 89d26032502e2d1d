"""Macros every slabkit package builds with, so copts live in one place."""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")
load("@rules_shell//shell:sh_test.bzl", "sh_test")

# Warnings are errors for slabkit's own code (not for third-party headers).
SLABKIT_COPTS = [
    "-Werror",
    "-Wno-sign-compare",
    # Partial aggregate initialization ({"name", 64}) is how configs are written.
    "-Wno-missing-field-initializers",
]

# The layers, lowest first (docs/design.md). A library may depend on its own
# layer and those below; one that names a higher layer's target fails the
# build (with sandboxing, an undeclared header cannot be included either).
_LAYERS = {
    "base": 0,
    "mapper": 1,
    "slab": 2,
    "policy": 3,
    "stats": 3,
    "arena": 3,
    "guard": 4,
    "magazine": 5,
    "allocator": 6,
    "malloc": 7,
    "pool": 7,
    "c_api": 8,
    "testing": 9,
}

def _layer(package):
    top = package.split("/")[0]
    return _LAYERS.get(top, 100)

def _check_layering(name, deps):
    if type(deps) != "list":
        return
    own = native.package_name()
    rank = _layer(own)
    for dep in deps:
        if type(dep) != "string" or not dep.startswith("//"):
            continue  # same package, or an external repository
        package = dep[2:].split(":")[0]
        if _layer(package) > rank:
            fail("%s:%s depends on %s, a higher layer (tools/build_defs.bzl)" %
                 (own, name, dep))

# slabkit's libraries are built optimized in Bazel's default mode too
# (fastbuild has no -O): a user's `bazel build` would otherwise get an
# allocator several times slower. `-c dbg` keeps them unoptimized.
_LIBRARY_COPTS = select({
    "//tools:fastbuild": ["-O2"],
    "//conditions:default": [],
})

def slabkit_cc_library(name, copts = [], deps = [], **kwargs):
    """A cc_library of slabkit's; its deps must not reach a higher layer."""
    _check_layering(name, deps)
    cc_library(
        name = name,
        copts = SLABKIT_COPTS + copts + _LIBRARY_COPTS,
        deps = deps,
        **kwargs
    )

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
    seeds = native.glob([corpus + "/*"])
    if not seeds:
        fail("%s: corpus %s has no seed files" % (name, corpus))

    # The corpus directory is passed as one of its files' runfiles path
    # (run_fuzzer.sh takes its directory), which resolves in slabkit's own
    # workspace and from a workspace that depends on it alike.
    sh_test(
        name = name + "_test",
        srcs = ["//testing:run_fuzzer.sh"],
        args = ["$(rootpath :%s)" % name, "$(rootpath %s)" % seeds[0]],
        data = [":" + name] + seeds,
        tags = ["fuzz"],
    )
