"""Offline stand-in for rules_shell's sh_binary: Bazel 4.2.3's native rule."""

sh_binary = native.sh_binary
