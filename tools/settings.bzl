"""string_setting: a command-line build setting that takes one of a fixed
set of strings (Bazel 4.2.3 has no native string_flag; bazel_skylib's is
not available offline)."""

def _string_setting_impl(ctx):
    value = ctx.build_setting_value
    if value not in ctx.attr.values:
        fail("%s: %r is not one of %s" % (ctx.label, value, ", ".join(ctx.attr.values)))
    return []

string_setting = rule(
    implementation = _string_setting_impl,
    build_setting = config.string(flag = True),
    attrs = {"values": attr.string_list(mandatory = True)},
)

# Labels of slabkit's own settings, resolved where this file lives (so the
# transition also works from a workspace that depends on slabkit).
_MEMORY_TOOL = str(Label("//base:memory_tool"))

_ASAN_COPTS = ["-fsanitize=address", "-fno-omit-frame-pointer", "-O1", "-g"]

def _memory_tool_impl(settings, attr):
    asan = attr.tool == "asan"
    return {
        _MEMORY_TOOL: attr.tool,
        # The asan tool needs the whole program built with ASan; valgrind
        # runs plain code (no sanitizer of the build's own, either).
        "//command_line_option:copt": _ASAN_COPTS if asan else ["-g"],
        "//command_line_option:linkopt": ["-fsanitize=address"] if asan else [],
        # An ASan program has ASan's malloc, whatever --custom_malloc says.
        "//command_line_option:custom_malloc": None if asan else settings["//command_line_option:custom_malloc"],
    }

_memory_tool_transition = transition(
    implementation = _memory_tool_impl,
    inputs = ["//command_line_option:custom_malloc"],
    outputs = [
        _MEMORY_TOOL,
        "//command_line_option:copt",
        "//command_line_option:linkopt",
        "//command_line_option:custom_malloc",
    ],
)

def _memory_tool_file_impl(ctx):
    target = ctx.attr.target[0]
    files = target[DefaultInfo].files.to_list()
    if len(files) != 1:
        fail("%s: %s must make one file" % (ctx.label, ctx.attr.target))
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = files[0])
    runfiles = ctx.runfiles(files = [out]).merge(target[DefaultInfo].default_runfiles)
    return [DefaultInfo(files = depset([out]), runfiles = runfiles)]

memory_tool_file = rule(
    implementation = _memory_tool_file_impl,
    doc = "The file of `target` (a program or a shared library) built with " +
          "--//base:memory_tool=`tool` (and, for asan, as an ASan program), " +
          "whatever the build's own settings.",
    attrs = {
        "target": attr.label(cfg = _memory_tool_transition, mandatory = True),
        "tool": attr.string(mandatory = True, values = ["valgrind", "asan"]),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)
