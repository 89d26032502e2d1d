"""The flavours slabkit is built in, and one macro that makes a target per
flavour (as tcmalloc's variants.bzl makes a test per allocator variant).

A flavour is the C library, malloc drop-in or program built with or
without SLABKIT_HARDENED (allocator/flavour.h reads it): the same sources,
two Configs' mitigations.
"""

FLAVOURS = [
    struct(name = "fast", suffix = "", defines = []),
    struct(name = "hardened", suffix = "_hardened", defines = ["SLABKIT_HARDENED"]),
]

def _format_string(value, flavour):
    if type(value) != "string":
        return value
    return value.format(suffix = flavour.suffix, flavour = flavour.name)

# Strings, and strings in lists and dicts (Starlark has no recursion).
def _format(value, flavour):
    if type(value) == "list":
        return [_format_string(v, flavour) for v in value]
    if type(value) == "dict":
        return {
            _format_string(k, flavour): _format_string(v, flavour)
            for k, v in value.items()
        }
    return _format_string(value, flavour)

def slabkit_flavours(rule, name, defines_attr = None, flavours = None, **kwargs):
    """Calls `rule` once per flavour.

    Every string in `name` and `kwargs` (in lists and dicts too) is formatted
    with {suffix} ("" or "_hardened") and {flavour} ("fast" or "hardened").

    Args:
      rule: the rule or macro to call.
      name: the targets' name, with {suffix} or {flavour}.
      defines_attr: the attribute that gets the flavour's macro definitions:
        "local_defines" (appended as is) or "copts" (as -D options); None for
        rules that take none.
      flavours: names of the flavours to make (default: all).
      **kwargs: the rest of the rule's attributes.
    """
    for flavour in FLAVOURS:
        if flavours != None and flavour.name not in flavours:
            continue
        args = {k: _format(v, flavour) for k, v in kwargs.items()}
        if defines_attr == "local_defines":
            args["local_defines"] = args.get("local_defines", []) + flavour.defines
        elif defines_attr == "copts":
            args["copts"] = args.get("copts", []) + ["-D" + d for d in flavour.defines]
        elif defines_attr != None:
            fail("defines_attr must be local_defines, copts or None")
        rule(name = _format(name, flavour), **args)
