"""The misuse programs' tests: per program, the flavours that must stop it
(tools/flavours.bzl names them) and with which diagnostic."""

load("//tools:build_defs.bzl", "slabkit_cc_binary")

_LIBRARIES = {
    "fast": "//c_api:slabkit",
    "hardened": "//c_api:slabkit_hardened",
}

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
            native.sh_test(
                name = program + "_" + flavour + "_test",
                srcs = ["expect_misuse.sh"],
                args = [
                    "$(location :%s_%s)" % (program, flavour),
                    "'%s'" % words,
                ],
                data = [":%s_%s" % (program, flavour)],
            )

def malloc_misuse_tests(misuses, variants = {}):
    """For each program: {flavour: (exit status, diagnostic words, env)}, one
    binary (program, from program.c: plain C on malloc) and a test per
    flavour under LD_PRELOAD of that flavour's library. `variants` maps a
    program name to the binary it runs (the same source, another env)."""
    for program, by_flavour in misuses.items():
        binary = variants.get(program, program)
        if binary == program:
            slabkit_cc_binary(
                name = program,
                srcs = [
                    "malloc_common.h",
                    program + ".c",
                ],
                # The misuse is the point.
                copts = ["-Wno-use-after-free"],
                tags = ["replaces_malloc"],
            )
        for flavour, (status, words, env) in by_flavour.items():
            native.sh_test(
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
                tags = ["replaces_malloc"],
            )
