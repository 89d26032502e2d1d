"""Offline stand-in for rules_shell's sh_library: Bazel 4.2.3's native rule."""

sh_library = native.sh_library
