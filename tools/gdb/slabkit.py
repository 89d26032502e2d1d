"""gdb commands for programs that use slabkit (docs/debugging.md).

    (gdb) source tools/gdb/slabkit.py
    (gdb) slabkit addr 0x7ffff5006fe0     what slabkit knows of an address
    (gdb) slabkit stats                   the stats report (live process), or
                                          the classes' chunks (core file)

`slabkit addr` reads memory only (slabkit_debug_layout, slab/debug_layout.h,
gives the page map's address and the offsets it needs), so it works on a core
file as on a live process, with or without debug information. A program with
two copies of slabkit (the class API linked in, the malloc drop-in
preloaded) has two page maps: each is consulted.
"""
import re

import gdb

MAGIC = 0x736C61626B697431
VERSION = 1
# The words of slabkit_debug_layout, in order (slab/debug_layout.h).
WORDS = [
    "magic", "version", "page_map", "chunk_shift", "address_bits",
    "guarded_flag", "large_entry", "zero_size_entry", "chunk_geometry",
    "chunk_class_name", "chunk_spans_opened", "object_size",
    "objects_per_span", "span_shift", "num_spans", "data_offset",
    "state_offset", "bitmap_offset", "bitmap_words",
]
STATES = {0: "never handed out", 1: "held by the program", 2: "released"}


def read_u64(address):
    return int.from_bytes(bytes(gdb.selected_inferior().read_memory(address, 8)), "little")


def read_u16(address):
    return int.from_bytes(bytes(gdb.selected_inferior().read_memory(address, 2)), "little")


def read_u8(address):
    return bytes(gdb.selected_inferior().read_memory(address, 1))[0]


def read_string(address, limit=64):
    raw = bytes(gdb.selected_inferior().read_memory(address, limit))
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def layouts():
    """Every slabkit_debug_layout in the program: {word: value} each."""
    # Each copy's address: "info variables" lists symbols without debug
    # information with theirs; one with debug information is evaluated.
    text = gdb.execute("info variables ^slabkit_debug_layout$", to_string=True)
    bases = [int(m.group(1), 16) for m in
             re.finditer(r"^(0x[0-9a-f]+)\s+slabkit_debug_layout\s*$", text, re.M)]
    if not bases:
        try:
            bases = [int(gdb.parse_and_eval("(unsigned long)&slabkit_debug_layout"))]
        except gdb.error:
            pass
    found = []
    for base in bases:
        try:
            words = {name: read_u64(base + 8 * i) for i, name in enumerate(WORDS)}
        except gdb.MemoryError:
            continue
        if words["magic"] != MAGIC:
            continue
        if words["version"] != VERSION:
            raise gdb.GdbError("slabkit_debug_layout version %d; this script reads %d"
                               % (words["version"], VERSION))
        found.append(words)
    if not found:
        raise gdb.GdbError("no slabkit in this program (no slabkit_debug_layout symbol)")
    return found


def describe(address, L):
    """What the slabkit copy with layout L knows of `address`, or None."""
    if address >> L["address_bits"]:
        return None
    entry = read_u16(L["page_map"] + 2 * (address >> L["chunk_shift"]))
    if entry == 0:
        return None
    if entry == L["large_entry"]:
        return "a large block's chunk (malloc's blocks above the largest class)"
    if entry == L["zero_size_entry"]:
        return "malloc's zero-size blocks (never accessible)"
    if entry & L["guarded_flag"]:
        return "class id %d: a sampled object's guarded slots" % (entry & ~L["guarded_flag"])
    chunk = address & ~((1 << L["chunk_shift"]) - 1)
    geometry = read_u64(chunk + L["chunk_geometry"])
    name = read_string(read_u64(chunk + L["chunk_class_name"]))
    g = {k: read_u64(geometry + L[k]) for k in (
        "object_size", "objects_per_span", "span_shift", "num_spans",
        "data_offset", "state_offset", "bitmap_offset", "bitmap_words")}
    head = 'class "%s" (id %d, %d-byte objects), chunk 0x%x' % (
        name, entry, g["object_size"], chunk)
    offset = address - chunk
    if offset < g["data_offset"]:
        return head + ": the chunk's metadata or its guard"
    data = offset - g["data_offset"]
    span = data >> g["span_shift"]
    if span >= g["num_spans"]:
        return head + ": past the last span (tail or guard)"
    in_span = data & ((1 << g["span_shift"]) - 1)
    index = in_span // g["object_size"]
    if index >= g["objects_per_span"]:
        return head + ", span %d: past its last object" % span
    start = chunk + g["data_offset"] + (span << g["span_shift"]) + index * g["object_size"]
    where = head + ", span %d, object %d at 0x%x" % (span, index, start)
    if start != address:
        where += " (0x%x is %d bytes inside it)" % (address, address - start)
    if span >= read_u64(chunk + L["chunk_spans_opened"]):
        return where + ": its span was never opened"
    word = read_u64(chunk + g["bitmap_offset"] + 8 * (span * g["bitmap_words"] + index // 64))
    where += (": free in its slab" if (word >> (index % 64)) & 1
              else ": out of its slab (held by the program, or in a thread's or depot's cache)")
    if g["state_offset"]:
        state = read_u8(chunk + g["state_offset"] + span * g["objects_per_span"] + index)
        where += "; state: " + STATES.get(state & 3, "state byte 0x%x" % state)
    return where


class Slabkit(gdb.Command):
    """slabkit addr ADDRESS | slabkit stats (docs/debugging.md)."""

    def __init__(self):
        super().__init__("slabkit", gdb.COMMAND_DATA, gdb.COMPLETE_NONE, True)


class SlabkitAddr(gdb.Command):
    """slabkit addr ADDRESS: whether slabkit manages ADDRESS, and its class,
    chunk, span, object and state. Reads memory only: core files work."""

    def __init__(self):
        super().__init__("slabkit addr", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        if not arg:
            raise gdb.GdbError("usage: slabkit addr ADDRESS")
        address = int(gdb.parse_and_eval("(unsigned long)(%s)" % arg))
        answers = [d for d in (describe(address, L) for L in layouts()) if d]
        if not answers:
            print("0x%x: not slabkit's" % address)
        for answer in answers:
            print("0x%x: %s" % (address, answer))


class SlabkitStats(gdb.Command):
    """slabkit stats: the stats report of every slabkit allocator in the
    process (calls slabkit_stats_report and slabkit_malloc_stats_report).
    On a core file, which cannot run code: each class's chunks, read from
    the page map."""

    def __init__(self):
        super().__init__("slabkit stats", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        live = gdb.selected_inferior().pid != 0 and gdb.selected_thread() is not None
        if live and not _is_core():
            called = False
            for function in ("slabkit_stats_report", "slabkit_malloc_stats_report"):
                try:
                    gdb.parse_and_eval("(int)%s(1, 0)" % function)  # stdout, text
                    called = True
                except gdb.error:
                    pass
            if called:
                return
        self.from_memory()

    @staticmethod
    def from_memory():
        for L in layouts():
            chunks = {}
            base = L["page_map"]
            entries = 1 << (L["address_bits"] - L["chunk_shift"])
            step = 1 << 16  # entries read at once
            for first in range(0, entries, step):
                try:
                    raw = bytes(gdb.selected_inferior().read_memory(base + 2 * first, 2 * step))
                except gdb.MemoryError:
                    continue  # never written: not in the core
                if raw.count(0) == len(raw):
                    continue
                for i in range(0, len(raw), 2):
                    entry = raw[i] | raw[i + 1] << 8
                    if entry and not (entry & (L["guarded_flag"] | L["large_entry"] |
                                               L["zero_size_entry"])):
                        chunks.setdefault(entry, []).append((first + i // 2) << L["chunk_shift"])
            print("slabkit classes (from memory): %d" % len(chunks))
            print("  %-5s %-24s %8s %7s %7s" % ("id", "class", "object", "chunks", "spans"))
            for cid in sorted(chunks):
                chunk = chunks[cid][0]
                geometry = read_u64(chunk + L["chunk_geometry"])
                name = read_string(read_u64(chunk + L["chunk_class_name"]))
                spans = sum(read_u64(c + L["chunk_spans_opened"]) for c in chunks[cid])
                print("  %-5d %-24.24s %8d %7d %7d" % (
                    cid, name, read_u64(geometry + L["object_size"]), len(chunks[cid]), spans))


def _is_core():
    try:
        return "core" in gdb.execute("info target", to_string=True).split("\n", 2)[1].lower()
    except (gdb.error, IndexError):
        return False


Slabkit()
SlabkitAddr()
SlabkitStats()
