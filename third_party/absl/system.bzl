"""Declares a cc_library backed by Debian's system abseil (headers in /usr/include)."""

def system_absl_library(name, libs = [], deps = []):
    """A target with the upstream label whose code comes from libabsl_<lib>.so.

    Args:
      name: the upstream target name.
      libs: abseil shared libraries (without the libabsl_ prefix) to link.
      deps: other targets of this repository it stands on.
    """
    native.cc_library(
        name = name,
        linkopts = ["-labsl_" + lib for lib in libs],
        deps = deps,
        visibility = ["//visibility:public"],
    )
