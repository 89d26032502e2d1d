#!/usr/bin/python3
"""The fast paths' instructions, from the optimized machine code.

For each entry point (the C API's slabkit_allocate and slabkit_release, the
malloc drop-in's malloc and free, both flavours), objdump's disassembly of
the function is walked from its first instruction the way the fast path
runs: conditional branches not taken, jumps within the function followed,
up to its `ret` (or a tail call out of it). The instructions on that path
are counted by kind.

  fast_path.py FILE...            prints the table (FILE: binaries or .so)
  fast_path.py --golden G FILE... compares with golden file G; exit 1 and
                                  the difference when they differ
  fast_path.py --update G FILE... rewrites G
  fast_path.py --listing FILE...  also prints each path's instructions

With --doc D (after --golden or --update), the table between D's markers
<!-- fast-path-table --> and <!-- /fast-path-table --> is checked against
(or rewritten from) the same counts.

Kinds: loads and stores (memory operands read or written; %fs: thread-
pointer reads count as loads), read-modify-writes (one instruction that
reads and writes memory: incq mem, lock cmpxchg), branches (conditional,
not taken on the fast path), jumps, calls.
"""
import re
import subprocess
import sys

# (file's flavour, symbol, entry point name in the golden file)
ENTRIES = [
    ("pair_loop", "slabkit_allocate", "class API allocate"),
    ("pair_loop", "slabkit_release", "class API release"),
    ("pair_loop_hardened", "slabkit_allocate", "class API hardened allocate"),
    ("pair_loop_hardened", "slabkit_release", "class API hardened release"),
    ("libslabkit_malloc.so", "malloc", "malloc"),
    ("libslabkit_malloc.so", "free", "free"),
    ("libslabkit_malloc_hardened.so", "malloc", "malloc hardened"),
    ("libslabkit_malloc_hardened.so", "free", "free hardened"),
]
KINDS = ["instructions", "loads", "stores", "rmw", "branches", "jumps", "calls"]

LINE = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*?)\s*(?:#.*)?$")


def disassemble(path, symbol):
    """[(address, mnemonic, operands)] of `symbol` in `path`."""
    out = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-M", "suffix",
         "--disassemble=" + symbol, path],
        check=True, capture_output=True, text=True).stdout
    body = []
    inside = False
    for line in out.splitlines():
        if re.match(r"^[0-9a-f]+ <%s>:$" % re.escape(symbol), line):
            inside = True
            continue
        if inside:
            m = LINE.match(line)
            if not m:
                if body:
                    break
                continue
            body.append((int(m.group(1), 16), m.group(2), m.group(3)))
    if not body:
        raise SystemExit("%s: no function %s" % (path, symbol))
    return body


def operands(text):
    """AT&T operands, split at top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def is_memory(op):
    return "(" in op or op.startswith("%fs:") or re.match(r"^-?0x[0-9a-f]+$", op)


def classify(mnemonic, ops_text):
    """The kinds of one instruction."""
    kinds = []
    base = mnemonic.split(".")[0]
    ops = operands(ops_text)
    if base.startswith("j"):
        return ["jumps"] if base in ("jmp", "jmpq") else ["branches"]
    if base.startswith("call"):
        return ["calls"]
    if base in ("ret", "retq", "nop", "nopw", "nopl", "endbr64", "lea",
                "leaq", "leal", "push", "pushq", "pop", "popq"):
        if base.startswith("push"):
            return ["stores"]
        if base.startswith("pop"):
            return ["loads"]
        return []
    mem = [i for i, op in enumerate(ops) if is_memory(op)]
    if not mem:
        return []
    dest_is_mem = mem[-1] == len(ops) - 1 and len(ops) >= 1
    reads_dest = not base.startswith(("mov", "set", "stos"))
    if base.startswith(("cmp", "test")):
        return ["loads"]
    if mnemonic == "lock" or ops_text.startswith("cmpxchg") or base.startswith(
            ("xchg", "cmpxchg", "xadd")):
        return ["rmw"]
    if dest_is_mem and len(ops) == 1:
        return ["rmw"] if reads_dest else ["stores"]
    if dest_is_mem:
        if reads_dest:
            return ["rmw"]
        return ["stores"]
    return ["loads"]


def fast_path(body):
    """The instructions the fast path runs: fall through conditional
    branches, follow jumps within the function, stop at ret or a jump out."""
    index = {addr: i for i, (addr, _, _) in enumerate(body)}
    path = []
    i = 0
    seen = set()
    while i < len(body) and i not in seen:
        seen.add(i)
        addr, mnemonic, ops = body[i]
        if mnemonic == "lock":  # objdump prints "lock cmpxchg ..." as one line
            pass
        path.append((addr, mnemonic, ops))
        base = mnemonic
        if base.startswith("ret"):
            break
        if base in ("jmp", "jmpq"):
            m = re.match(r"^([0-9a-f]+) ", ops + " ")
            target = int(m.group(1), 16) if m else None
            if target in index:
                i = index[target]
                continue
            break  # a tail call out of the function
        i += 1
    return path


def count(path):
    counts = {k: 0 for k in KINDS}
    for _, mnemonic, ops in path:
        counts["instructions"] += 1
        for kind in classify(mnemonic, ops):
            counts[kind] += 1
    return counts


def table(files, listing=False):
    by_name = {f.rsplit("/", 1)[-1]: f for f in files}
    rows = []
    for file_name, symbol, entry in ENTRIES:
        if file_name not in by_name:
            raise SystemExit("missing %s" % file_name)
        path = fast_path(disassemble(by_name[file_name], symbol))
        rows.append((entry, count(path), path))
    lines = []
    for entry, counts, path in rows:
        lines.append("%-28s %s" % (entry, " ".join(
            "%s=%d" % (k, counts[k]) for k in KINDS)))
        if listing:
            for addr, mnemonic, ops in path:
                lines.append("    %-8s %s" % (mnemonic, ops))
    return "\n".join(lines) + "\n"


DOC_BEGIN = "<!-- fast-path-table -->\n"
DOC_END = "<!-- /fast-path-table -->\n"


def doc_table(rows):
    """The Markdown table docs/fast_path.md carries, from table()'s text."""
    out = ["| entry point | " + " | ".join(KINDS) + " |\n",
           "|---|" + "---|" * len(KINDS) + "\n"]
    for line in rows.splitlines():
        entry, _, rest = line.partition("  ")
        values = dict(kv.split("=") for kv in rest.split())
        out.append("| %s | %s |\n" % (entry.strip(), " | ".join(
            values[k] for k in KINDS)))
    return "".join(out)


def doc_parts(path):
    with open(path) as f:
        text = f.read()
    begin = text.find(DOC_BEGIN)
    end = text.find(DOC_END)
    if begin < 0 or end < begin:
        raise SystemExit("%s: no %s...%s" % (path, DOC_BEGIN.strip(),
                                             DOC_END.strip()))
    return text[:begin + len(DOC_BEGIN)], text[begin + len(DOC_BEGIN):end], \
        text[end:]


def main(argv):
    args = argv[1:]
    mode, golden, doc, listing = "print", None, None, False
    if args and args[0] in ("--golden", "--update"):
        mode, golden, args = args[0][2:], args[1], args[2:]
    if args and args[0] == "--doc":
        doc, args = args[1], args[2:]
    if args and args[0] == "--listing":
        listing, args = True, args[1:]
    got = table(args, listing)
    header = ("# The fast paths' instructions, by kind, in -c opt "
              "(benchmarks/fast_path.py).\n# A change that adds or removes "
              "one fails //benchmarks:fast_path_golden_test until this file\n"
              "# is updated on purpose: bazel run "
              "//benchmarks:fast_path_golden_update\n")
    if mode == "print":
        sys.stdout.write(got)
        return 0
    if mode == "update":
        with open(golden, "w") as f:
            f.write(header + got)
        if doc is not None:
            before, _, after = doc_parts(doc)
            with open(doc, "w") as f:
                f.write(before + doc_table(got) + after)
        sys.stdout.write(got)
        return 0
    with open(golden) as f:
        want = "".join(l for l in f if not l.startswith("#"))
    failed = False
    if want != got:
        sys.stdout.write("FAIL: the fast paths changed\n--- golden\n" + want +
                         "+++ built\n" + got + "\n" + table(args, True))
        failed = True
    if doc is not None and doc_parts(doc)[1] != doc_table(want):
        sys.stdout.write("FAIL: %s's table is not the golden file's: run "
                         "bazel run //benchmarks:fast_path_golden_update\n" %
                         doc)
        failed = True
    if not failed:
        sys.stdout.write(got)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
