"""slabkit_deps(): every external repository slabkit's BUILD files name.

A workspace that uses slabkit adds, after its `local_repository` (or
`http_archive`) of slabkit:

    load("@slabkit//:deps.bzl", "slabkit_deps")
    slabkit_deps()

Each repository is declared only if the workspace has not declared it
already (call slabkit_deps() after your own abseil, GoogleTest or Benchmark
to use those instead). The defaults are the offline shims in slabkit's
third_party/ (docs/building.md): Debian's system libraries under the
upstream repository names, and the stand-ins Bazel 4.2.3's own tools load.
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")

def _slabkit_third_party_impl(rctx):
    # The directory in slabkit's checkout, wherever the user's workspace put
    # it: resolved from a file of slabkit's own root package.
    root = rctx.path(Label("//:WORKSPACE")).dirname
    source = root
    for part in rctx.attr.dir.split("/"):
        source = source.get_child(part)
    if not source.exists:
        fail("slabkit_deps: %s is missing from slabkit's checkout" % source)
    for entry in source.readdir():
        rctx.symlink(entry, entry.basename)

_slabkit_third_party = repository_rule(
    implementation = _slabkit_third_party_impl,
    attrs = {"dir": attr.string(mandatory = True)},
    local = True,
    doc = "A repository whose files are those of a directory of slabkit's checkout.",
)

def slabkit_deps():
    """Declares @rules_cc, @rules_shell, @rules_java, @remote_coverage_tools, @com_google_absl,
    @com_google_googletest and @com_github_google_benchmark where missing."""

    # Re-exports of Bazel 4.2.3's native C++ rules under the rules_cc name
    # that @bazel_tools loads (Debian's rules_cc package is too new for it).
    maybe(_slabkit_third_party, name = "rules_cc", dir = "third_party/rules_cc")

    # sh_test, sh_binary: Bazel 4.2.3's native rules under rules_shell's
    # names (upstream rules_shell needs a newer Bazel).
    maybe(_slabkit_third_party, name = "rules_shell", dir = "third_party/rules_shell")

    # Debian's bazel-rules-java package; toolchain registration needs it.
    maybe(
        native.local_repository,
        name = "rules_java",
        path = "/usr/share/bazel/rules/java",
    )

    # Every cc_test depends on it; coverage itself is not used offline.
    maybe(
        _slabkit_third_party,
        name = "remote_coverage_tools",
        dir = "third_party/remote_coverage_tools",
    )

    # System abseil, GoogleTest and Benchmark (Debian's -dev packages), under
    # the upstream repository names and target labels.
    maybe(_slabkit_third_party, name = "com_google_absl", dir = "third_party/absl")
    maybe(
        _slabkit_third_party,
        name = "com_google_googletest",
        dir = "third_party/googletest",
    )
    maybe(
        _slabkit_third_party,
        name = "com_github_google_benchmark",
        dir = "third_party/benchmark",
    )
