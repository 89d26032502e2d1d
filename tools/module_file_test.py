#!/usr/bin/env python3
"""Checks what can be checked of the bzlmod files on Bazel 4.2.3, which
cannot read them: MODULE.bazel calls only module() and bazel_dep(), with
the fields Bazel requires; its repository names are exactly the libraries
deps.bzl declares for WORKSPACE (less Bazel 4.2.3's own tool stand-ins);
WORKSPACE.bzlmod declares nothing; REPO.bazel ignores what .bazelignore
ignores.

    module_file_test.py MODULE.bazel deps.bzl WORKSPACE.bzlmod REPO.bazel .bazelignore
"""
import fnmatch
import re
import sys

# Needed by Bazel 4.2.3's own tools, not by slabkit's BUILD files.
WORKSPACE_ONLY = {"rules_java", "remote_coverage_tools"}


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def run_starlark(path, functions):
    """Runs a BUILD-dialect file (a Python subset) with only `functions`."""
    source = open(path).read()
    try:
        exec(compile(source, path, "exec"), {"__builtins__": {}, **functions})
    except NameError as e:
        fail("%s calls something other than %s: %s" % (path, sorted(functions), e))


def main(module_path, deps_path, workspace_bzlmod_path, repo_path, ignore_path):
    modules, deps = [], []

    def module(name, version="", compatibility_level=0):
        modules.append(name)

    def bazel_dep(name, version, repo_name=None, dev_dependency=False):
        if not version:
            fail("bazel_dep(%s) has no version" % name)
        deps.append(repo_name or name)

    run_starlark(module_path, {"module": module, "bazel_dep": bazel_dep})
    if modules != ["slabkit"]:
        fail("module() must be called once, named slabkit: %s" % modules)
    if len(set(deps)) != len(deps):
        fail("a repository is declared twice: %s" % deps)

    # The names slabkit_deps() declares: each maybe(..., name = "...").
    text = open(deps_path).read()
    body = text[text.index("def slabkit_deps"):]
    workspace = set(re.findall(r'name = "([^"]+)"', body)) - WORKSPACE_ONLY
    if not workspace:
        fail("no repositories found in %s" % deps_path)
    if set(deps) != workspace:
        fail("MODULE.bazel declares %s; deps.bzl declares %s"
             % (sorted(deps), sorted(workspace)))

    run_starlark(workspace_bzlmod_path, {})

    ignored = []
    run_starlark(repo_path, {"ignore_directories": lambda dirs: ignored.extend(dirs)})
    for line in open(ignore_path):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if not any(fnmatch.fnmatch(entry, pattern) for pattern in ignored):
            fail("%s ignores %s, REPO.bazel does not" % (ignore_path, entry))
    print("PASS: %s declares %s" % (module_path, ", ".join(sorted(deps))))


if __name__ == "__main__":
    if len(sys.argv) != 6:
        fail(__doc__)
    main(*sys.argv[1:])
