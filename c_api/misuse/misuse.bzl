"""The misuse programs' tests: per program, the flavours that must stop it
(tools/flavours.bzl names them) and with which diagnostic."""

load("//tools:build_defs.bzl", "slabkit_cc_binary")
load("@rules_shell//shell:sh_test.bzl", "sh_test")

_LIBRARIES = {
    "fast": "//c_api:slabkit",
    "hardened": "//c_api:slabkit_hardened",
}

# Tests that LD_PRELOAD a malloc library into a program built here: under
# --custom_malloc the program links slabkit's malloc itself, which wins over
# the preloaded one, so they are left out of that run (.ci/run,
# docs/testing.md).
_PRELOADS_MALLOC = ["preloads_malloc", "replaces_malloc"]

_MALLOC_LIBRARIES = {
    "fast": "//c_api:libslabkit_malloc.so",
    "hardened": "//c_api:libslabkit_malloc_hardened.so",
}

def class_api_misuse_tests(misuses):
    """For each program: (diagnostic words, flavours), a binary per flavour
    (program_flavour, from program.c) and its test (program_flavour_test)."""
    for program, (words, flavours) in misuses.items():
        for flavour in flavours:
            slabkit_cc_binary(
                name = program + "_" + flavour,
                srcs = [
                    "common.h",
                    program + ".c",
                ],
                deps = [_LIBRARIES[flavour]],
            )
            sh_test(
                name = program + "_" + flavour + "_test",
                srcs = ["expect_misuse.sh"],
                args = [
                    "$(location :%s_%s)" % (program, flavour),
                    "'%s'" % words,
                ],
                data = [":%s_%s" % (program, flavour)],
            )

def _malloc_program(program):
    """program.c (C) or program.cc (C++), plain code on malloc."""
    slabkit_cc_binary(
        name = program,
        srcs = ["malloc_common.h"] + native.glob([program + ".c", program + ".cc"]),
        # The misuse is the point.
        copts = [
            "-Wno-use-after-free",
            "-Wno-free-nonheap-object",
        ] + (["-Wno-mismatched-new-delete"] if program.startswith("cxx_") else []),
        tags = ["replaces_malloc"],
    )

# The block sizes the hardened flavour's checks are tried at: a small
# class, a page, and the largest class.
SIZES = ["8", "4096", "262144"]

def malloc_misuse_size_tests(misuses, sizes = SIZES):
    """As malloc_misuse_tests, each program at each of `sizes` ($SIZE):
    tests program_size_flavour_test. An env entry HOW=... picks a variant:
    then misuses maps (program, how) pairs, written "program:how"."""
    made = {}
    for key, by_flavour in misuses.items():
        program, _, how = key.partition(":")
        if program not in made:
            _malloc_program(program)
            made[program] = True
        for size in sizes:
            for flavour, (status, words, env) in by_flavour.items():
                sh_test(
                    name = "%s%s_%s_%s_test" % (
                        program,
                        "_" + how.replace("-", "_") if how else "",
                        size,
                        flavour,
                    ),
                    srcs = ["expect_malloc_misuse.sh"],
                    args = [
                        "$(location %s)" % _MALLOC_LIBRARIES[flavour],
                        "$(location :%s)" % program,
                        status,
                        "'%s'" % words,
                        "SIZE=" + size,
                    ] + (["HOW=" + how] if how else []) + env,
                    data = [
                        ":" + program,
                        _MALLOC_LIBRARIES[flavour],
                    ],
                    tags = _PRELOADS_MALLOC,
                )

def malloc_misuse_tests(misuses, variants = {}):
    """For each program: {flavour: (exit status, diagnostic words, env)}, one
    binary (program, from program.c: plain C on malloc) and a test per
    flavour under LD_PRELOAD of that flavour's library. `variants` maps a
    program name to the binary it runs (the same source, another env)."""
    for program, by_flavour in misuses.items():
        binary = variants.get(program, program)
        if binary == program:
            _malloc_program(program)
        for flavour, (status, words, env) in by_flavour.items():
            sh_test(
                name = program + "_" + flavour + "_test",
                srcs = ["expect_malloc_misuse.sh"],
                args = [
                    "$(location %s)" % _MALLOC_LIBRARIES[flavour],
                    "$(location :%s)" % binary,
                    status,
                    "'%s'" % words,
                ] + env,
                data = [
                    ":" + binary,
                    _MALLOC_LIBRARIES[flavour],
                ],
                tags = _PRELOADS_MALLOC,
            )
