"""Offline stand-in for rules_shell's sh_test: Bazel 4.2.3's native rule."""

sh_test = native.sh_test
