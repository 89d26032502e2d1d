"""opt_files: files of other targets as `-c opt` builds them, whatever the
build's own mode and sanitizer flags, for checks that read optimized
machine code (benchmarks:fast_path_golden_test)."""

# Labels of slabkit's own settings, resolved where this file lives, so the
# transition also works from a workspace that depends on slabkit.
_DEFAULT_MAPPER = str(Label("//mapper:default"))
_MMAP_DEFAULT = str(Label("//mapper:mmap_default"))

def _opt_impl(settings, attr):
    return {
        "//command_line_option:compilation_mode": "opt",
        # Sanitizer instrumentation (--config=asan, ...) is not what ships.
        "//command_line_option:copt": [],
        "//command_line_option:linkopt": [],
        # Nor a swapped-in default mapper: the fast paths do not depend on it,
        # but the build would be another configuration.
        _DEFAULT_MAPPER: _MMAP_DEFAULT,
    }

_opt_transition = transition(
    implementation = _opt_impl,
    inputs = [],
    outputs = [
        "//command_line_option:compilation_mode",
        "//command_line_option:copt",
        "//command_line_option:linkopt",
        _DEFAULT_MAPPER,
    ],
)

def _opt_files_impl(ctx):
    files = depset(transitive = [d[DefaultInfo].files for d in ctx.attr.srcs])
    runfiles = ctx.runfiles(transitive_files = files)
    for d in ctx.attr.srcs:
        runfiles = runfiles.merge(d[DefaultInfo].default_runfiles)
    return [DefaultInfo(files = files, runfiles = runfiles)]

opt_files = rule(
    implementation = _opt_files_impl,
    attrs = {
        "srcs": attr.label_list(cfg = _opt_transition),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
