#!/usr/bin/python3
"""Runs every workload under glibc, jemalloc, tcmalloc, mimalloc and both
slabkit flavours, interleaved and repeated, and reports medians and ratios
against mimalloc: wall, user and system time, and peak RSS.

    bazel run -c opt //benchmarks:compare                      # the full run, ~10 min
    bazel run -c opt //benchmarks:compare -- --quick           # a few seconds
    bazel run -c opt //benchmarks:compare -- --update-doc docs/benchmarks.md
    bazel run -c opt //benchmarks:compare -- --only larson,redis --reps 3 --out /tmp/r
    bazel run //benchmarks:compare -- --from-json /tmp/r/results.json --update-doc ...

The workloads are the programs in benchmarks/workloads/ plus real programs
from Debian (sqlite3, python3, redis-server under redis-benchmark, g++).
Every run is checked: a workload aborts on a corrupted block, and a real
program must print what it prints under glibc. A failed run is reported as
failed and makes the exit status 1.

Debian's python3 (/usr/bin/python3) runs it: the chart needs its
python3-matplotlib. --out DIR writes results.md, results.json and
results.png there (--from-json re-renders a saved results.json);
--update-doc FILE replaces the part of FILE between the results markers and
writes the chart beside it (benchmarks.png). Relative paths are taken from
the workspace under `bazel run`.
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

LIBDIR = "/usr/lib/x86_64-linux-gnu"
# (column name, preload relative to the runfiles root or absolute, Debian package)
ALLOCATORS = [
    ("glibc", None, "libc6"),
    ("jemalloc", LIBDIR + "/libjemalloc.so.2", "libjemalloc2"),
    ("tcmalloc", LIBDIR + "/libtcmalloc_minimal.so.4", "libtcmalloc-minimal4"),
    ("mimalloc", LIBDIR + "/libmimalloc.so.2", "libmimalloc2.0"),
    # A hardened peer: LLVM's Scudo, as Android ships it.
    ("scudo", "/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/"
     "libclang_rt.scudo_standalone-x86_64.so", "libclang-rt-14-dev"),
    ("slabkit", "c_api/libslabkit_malloc.so", None),
    ("slabkit-hardened", "c_api/libslabkit_malloc_hardened.so", None),
]
BASELINE = "mimalloc"


class Workload:
    """One row: argv for the full and the quick run; `kind` is "synthetic",
    "class" (slabkit's class API, no preload) or "program"."""

    def __init__(self, name, what, argv, quick, kind="synthetic", stdin=None, env=None):
        self.name, self.what, self.argv, self.quick = name, what, argv, quick
        self.kind, self.stdin, self.env = kind, stdin, env or {}


B = "benchmarks/"
WORKLOADS = [
    Workload("larson", "server: blocks freed by other threads, thread churn",
             [B + "larson", "--epochs=20", "--operations=400000"],
             [B + "larson", "--epochs=4", "--operations=400000"]),
    Workload("xmalloc", "producers allocate, consumers free",
             [B + "xmalloc", "--batches=20000"], [B + "xmalloc", "--batches=1000"]),
    Workload("mstress", "many sizes, migration between threads, thread churn",
             [B + "mstress", "--operations=200000"],
             [B + "mstress", "--generations=4", "--operations=20000"]),
    Workload("cache-scratch", "passive false sharing",
             [B + "false_sharing", "--mode=passive", "--iterations=10000"],
             [B + "false_sharing", "--mode=passive", "--iterations=500"]),
    Workload("cache-thrash", "active false sharing",
             [B + "false_sharing", "--mode=active", "--iterations=20000"],
             [B + "false_sharing", "--mode=active", "--iterations=1000"]),
    Workload("tight-loop", "one thread, allocate and free at once",
             [B + "tight_loop", "--operations=50000000"],
             [B + "tight_loop", "--operations=2000000"]),
    Workload("pareto", "Pareto size mix, 16 B to 1 MiB",
             [B + "pareto", "--operations=10000000"], [B + "pareto", "--operations=500000"]),
    Workload("large-blocks", "1-8 MiB buffers, every page written",
             [B + "large_blocks"], [B + "large_blocks", "--operations=100"]),
    Workload("large-mixed", "20 buffers of 5-25 MiB, every page written",
             [B + "large_blocks", "--slots=20", "--min_size=5242880",
              "--max_size=26214400", "--operations=1000"],
             [B + "large_blocks", "--slots=20", "--min_size=5242880",
              "--max_size=26214400", "--operations=40"]),
    Workload("fixed-size", "48-byte objects in batches of 1000, malloc",
             [B + "fixed_size", "--rounds=60000"], [B + "fixed_size", "--rounds=3000"]),
    Workload("fixed-size class API", "the same through a slabkit class",
             [B + "fixed_size", "--api=class", "--rounds=60000"],
             [B + "fixed_size", "--api=class", "--rounds=3000"], kind="class"),
    Workload("sqlite3", "inserts, indexes, joins, VACUUM (in memory)",
             ["sqlite3", ":memory:"], None, kind="program",
             stdin="c_api/testdata/workload.sql"),
    Workload("python3", "dicts, strings, JSON, sorting (PYTHONMALLOC=malloc)",
             ["python3", "c_api/testdata/alloc_heavy.py"], None, kind="program",
             env={"PYTHONMALLOC": "malloc"}),
    Workload("g++", "compiles a C++17 program at -O2",
             ["g++", "-O2", "-std=c++17", "-c", "c_api/testdata/cxx_program.cc", "-o",
              "{tmp}/cxx_program.o"], None, kind="program"),
    Workload("redis", "redis-server under redis-benchmark on loopback (server's figures)",
             None, None, kind="redis"),
]
REDIS_REQUESTS = 400000


class Run:
    def __init__(self, wall, user, system, rss_kib, ok=True, error="", digest=None):
        self.wall, self.user, self.system, self.rss_kib = wall, user, system, rss_kib
        self.ok, self.error, self.digest = ok, error, digest


MEASURE = B + "measure"


def measured(argv, preload, tmp):
    """argv run under the measure launcher (see measure.c), and the file it
    writes its figures to."""
    result = os.path.join(tmp, "measure.%d" % len(os.listdir(tmp)))
    return [MEASURE, result, preload or "-"] + [a.format(tmp=tmp) for a in argv], result


def read_measure(result):
    """The launcher's figures as a Run, or None when it wrote none."""
    try:
        with open(result) as f:
            wall, user, system, rss, status = f.read().split()
    except (OSError, ValueError):
        return None
    os.unlink(result)
    run = Run(float(wall), float(user), float(system), int(rss))
    if int(status) != 0:
        run.ok, run.error = False, "exit status %s" % status
    return run


def spawn(argv, preload, env_extra, stdin_path, tmp):
    """Runs argv to the end; its times and peak RSS (descendants included)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.update(env_extra)
    command, result = measured(argv, preload, tmp)
    with open(stdin_path or os.devnull, "rb") as stdin:
        proc = subprocess.run(command, stdin=stdin, capture_output=True, env=env)
    run = read_measure(result) or Run(0, 0, 0, 0, ok=False, error="measure failed")
    run.digest = hashlib.sha256(proc.stdout).hexdigest()
    run.output = proc.stdout.decode(errors="replace")
    if not run.ok:
        run.error += ": " + proc.stderr.decode(errors="replace").strip()[-300:]
    return run


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_redis(preload, env_extra, quick, tmp):
    """redis-server (under `preload`) serving redis-benchmark (not preloaded):
    the benchmark's wall time, the server's CPU time and peak RSS."""
    port = str(free_port())
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.update(env_extra)
    command, result = measured(
        ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", tmp, "--logfile", os.path.join(tmp, "redis.log")],
        preload, tmp)
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    cli = ["redis-cli", "-p", port]
    run = Run(0, 0, 0, 0, ok=False, error="redis-server did not answer")
    try:
        for _ in range(250):
            ping = subprocess.run(cli + ["ping"], capture_output=True, text=True)
            if ping.stdout.strip() == "PONG":
                break
            time.sleep(0.02)
        else:
            return run
        requests = REDIS_REQUESTS // 20 if quick else REDIS_REQUESTS
        start = time.monotonic()
        bench = subprocess.run(
            ["redis-benchmark", "-p", port, "-q", "-n", str(requests), "-r", "200000",
             "-d", "100", "-P", "16", "-t", "set,get,lpush,lpop,sadd,hset,mset"],
            capture_output=True, text=True)
        run.wall = time.monotonic() - start
        keys = subprocess.run(cli + ["dbsize"], capture_output=True, text=True).stdout.strip()
        run.ok = bench.returncode == 0 and keys.isdigit() and int(keys) > 0
        run.error = "redis-benchmark: %s (dbsize %s)" % (bench.stderr.strip()[-200:], keys)
        run.output = bench.stdout
        subprocess.run(cli + ["shutdown", "nosave"], capture_output=True)
    finally:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()  # the launcher: the server is left to its own
            server.wait()
    figures = read_measure(result)
    if figures is None:
        run.ok, run.error = False, "redis-server was not measured"
        return run
    run.user, run.system, run.rss_kib = figures.user, figures.system, figures.rss_kib
    if run.ok and not figures.ok:
        run.ok, run.error = False, "redis-server: " + figures.error
    return run


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_gib = int(f.readline().split()[1]) / (1 << 20)
    debian = open("/etc/debian_version").read().strip() if os.path.exists(
        "/etc/debian_version") else "?"
    return "%s, %d cores, %.0f GiB, Linux %s, Debian %s" % (
        cpu, os.cpu_count(), mem_gib, platform.release(), debian)


def package_version(package):
    if package is None:
        return None
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                         capture_output=True, text=True)
    return out.stdout.strip() or "not installed"


def median(runs, field):
    return statistics.median(getattr(r, field) for r in runs)


def fmt_value(field, value):
    if field == "rss_kib":
        return "%.1f MiB" % (value / 1024)
    return "%.3f s" % value


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


class Results:
    def __init__(self, names, workloads):
        self.names = names
        self.workloads = workloads
        self.runs = {}  # (workload, allocator) -> [Run]
        self.failures = []

    def add(self, workload, allocator, run):
        if run.ok:
            self.runs.setdefault((workload, allocator), []).append(run)
        else:
            self.failures.append((workload, allocator, run.error))

    def value(self, workload, allocator, field):
        runs = self.runs.get((workload, allocator))
        return median(runs, field) if runs else None

    def ratio(self, workload, allocator, field, base_workload=None):
        v = self.value(workload, allocator, field)
        b = self.value(base_workload or workload, BASELINE, field)
        # Below 10 ms (or 1 MiB) a ratio is noise: left out.
        floor = 1024 if field == "rss_kib" else 0.01
        if v is None or b is None or b < floor or v < floor / 10:
            return None
        return v / b


FIELDS = [("wall", "Wall time"), ("user", "User time"), ("system", "System time"),
          ("rss_kib", "Peak RSS")]


def markdown(results, meta):
    names = results.names
    lines = ["Measured %s on %s." % (meta["date"], meta["machine"]),
             "Peers: %s. %d interleaved runs per cell, medians; in brackets the ratio "
             "against %s (below 1 is better). %s" % (
                 ", ".join("%s %s" % (n, v) for n, v in meta["versions"].items() if v),
                 meta["reps"], BASELINE,
                 "Quick run: small inputs, not for conclusions." if meta["quick"] else ""),
             ""]
    for field, title in FIELDS:
        lines.append("#### %s" % title)
        lines.append("")
        lines.append("| workload | " + " | ".join(names) + " |")
        lines.append("|---" * (len(names) + 1) + "|")
        for w in results.workloads:
            cells = []
            for a in names:
                v = results.value(w.name, a, field)
                if v is None:
                    failed = any(f[0] == w.name and f[1] == a for f in results.failures)
                    cells.append("failed" if failed else "")
                    continue
                base = "fixed-size" if w.kind == "class" else None
                r = results.ratio(w.name, a, field, base)
                cells.append(fmt_value(field, v) + (" (%.2f)" % r if r is not None else ""))
            lines.append("| %s | %s |" % (w.name, " | ".join(cells)))
        means = [geomean([results.ratio(w.name, a, field) for w in results.workloads
                          if w.kind != "class"]) for a in names]
        lines.append("| geometric mean of ratios | " + " | ".join(
            "%.2f" % m if m else "" for m in means) + " |")
        lines.append("")
    lines += goals(results)
    if results.failures:
        lines += ["", "Failed runs:", ""]
        lines += ["- %s under %s: %s" % f for f in results.failures]
    return "\n".join(lines) + "\n"


def goals(results):
    """The issue's goals, checked against this run's medians."""
    out = ["#### Goals", ""]
    rows = [w for w in results.workloads if w.kind != "class"]
    cls = results.value("fixed-size class API", "slabkit", "wall")
    mi = results.value("fixed-size", BASELINE, "wall")
    if cls and mi:
        out.append("- Class API against mimalloc's malloc, fixed-size objects: %.3f s against "
                   "%.3f s (%.2f): %s." % (cls, mi, cls / mi, "met" if cls < mi else "not met"))
    g = geomean([results.ratio(w.name, "slabkit", "wall") for w in rows])
    if g:
        out.append("- Drop-in, fast flavour, geometric mean of wall-time ratios against "
                   "mimalloc: %.2f (goal at most 1.10): %s." % (g, "met" if g <= 1.10 else "not met"))
    slower = []
    for w in rows:
        s, gl = results.value(w.name, "slabkit", "wall"), results.value(w.name, "glibc", "wall")
        if s and gl and s > gl:
            slower.append("%s (%.2f)" % (w.name, s / gl))
    out.append("- Slower than glibc on: %s." % (", ".join(slower) if slower else "no workload"))
    rss = {a: geomean([results.value(w.name, a, "rss_kib") for w in rows])
           for a in ("slabkit", "jemalloc")}
    if rss["slabkit"] and rss["jemalloc"]:
        out.append("- Peak RSS, geometric mean: slabkit %.1f MiB, jemalloc %.1f MiB: %s." % (
            rss["slabkit"] / 1024, rss["jemalloc"] / 1024,
            "met" if rss["slabkit"] <= rss["jemalloc"] else "not met"))
    costs = []
    for w in results.workloads:
        fast = results.value(w.name, "slabkit", "wall")
        hard = results.value(w.name, "slabkit-hardened", "wall")
        if fast and hard:
            costs.append("%s %.2f" % (w.name, hard / fast))
    if costs:
        out.append("- Hardened over fast flavour, wall time: " + ", ".join(costs) + ".")
    hardened = {a: geomean([results.ratio(w.name, a, "wall") for w in rows])
                for a in ("slabkit-hardened", "scudo")}
    if all(hardened.values()):
        out.append("- Hardened allocators against mimalloc, geometric mean of wall-time "
                   "ratios: slabkit-hardened %.2f, Scudo %.2f." % (
                       hardened["slabkit-hardened"], hardened["scudo"]))
    return out


def chart(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [w for w in results.workloads if w.kind != "class"]
    names = [a for a in results.names if a != BASELINE]
    fig, axes = plt.subplots(2, 1, figsize=(13, 8.5), sharex=True)
    width = 0.8 / len(names)
    for ax, field, title in ((axes[0], "wall", "wall time"), (axes[1], "rss_kib", "peak RSS")):
        for i, a in enumerate(names):
            xs, ys = [], []
            for j, w in enumerate(rows):
                r = results.ratio(w.name, a, field)
                if r is not None:
                    xs.append(j + (i - (len(names) - 1) / 2) * width)
                    ys.append(r)
            ax.bar(xs, ys, width, label=a)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_yscale("log")
        ax.set_ylabel("%s / mimalloc's\n(log scale, lower is better)" % title)
        ax.grid(axis="y", which="both", alpha=0.3)
    axes[1].set_xticks(range(len(rows)))
    axes[1].set_xticklabels([w.name for w in rows], rotation=30, ha="right")
    axes[0].legend(ncol=len(names), loc="upper left", fontsize="small")
    axes[0].set_title("slabkit and peers against mimalloc, medians of interleaved runs")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def runfiles_root():
    here = os.path.dirname(os.path.abspath(__file__))
    for root in (os.getcwd(), os.path.dirname(here)):
        if os.path.exists(os.path.join(root, "benchmarks", "larson")):
            return root
    sys.exit("compare: cannot find the workloads; run it with bazel run -c opt //benchmarks:compare")


def workspace_path(path):
    base = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    return path if os.path.isabs(path) or not base else os.path.join(base, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="small inputs, one run, synthetic workloads only")
    parser.add_argument("--reps", type=int, help="runs per cell (default 5, quick 1)")
    parser.add_argument("--only", help="comma-separated workload names")
    parser.add_argument("--allocators", help="comma-separated allocator names")
    parser.add_argument("--variant", action="append", default=[],
                        help="NAME=ALLOCATOR:OPTIONS, one more column: ALLOCATOR "
                        "(a slabkit one, or a malloc library's path ending in "
                        ".so, such as another build of slabkit's) under "
                        "SLABKIT_OPTIONS=OPTIONS, e.g. "
                        "slabkit-nodecay=slabkit:decay_ms=-1 or "
                        "before=/tmp/old/libslabkit_malloc.so:")
    parser.add_argument("--out", help="directory for results.md, .json and .png")
    parser.add_argument("--update-doc", help="Markdown file whose results section to replace")
    parser.add_argument("--from-json", help="render a saved results.json instead of running")
    args = parser.parse_args()
    if args.from_json:
        with open(workspace_path(args.from_json)) as f:
            saved = json.load(f)
        meta = saved["meta"]
        names = list(meta["versions"])
        order = list(dict.fromkeys(r["workload"] for r in saved["runs"]))
        order += [f[0] for f in saved["failures"] if f[0] not in order]
        results = Results(names, [w for w in WORKLOADS if w.name in order])
        for r in saved["runs"]:
            for wall, user, system, rss in r["runs"]:
                results.add(r["workload"], r["allocator"], Run(wall, user, system, rss))
        results.failures = [tuple(f) for f in saved["failures"]]
        return report(results, meta, args)

    root = runfiles_root()
    os.chdir(root)
    reps = args.reps or (1 if args.quick else 5)
    # (column, preload, package, extra environment, the allocator it is)
    allocators = [(n, lib, pkg, {}, n) for n, lib, pkg in ALLOCATORS
                  if not args.allocators or n in args.allocators.split(",")]
    for v in args.variant:
        name, _, rest = v.partition("=")
        base, _, options = rest.partition(":")
        if base.endswith(".so"):
            # Preloaded like the peers; the class-API row has no column.
            lib = workspace_path(base)
            if not name or not os.path.exists(lib):
                sys.exit("compare: --variant %r: no such library" % v)
            env = {"SLABKIT_OPTIONS": options} if options else {}
            allocators.append((name, os.path.abspath(lib), None, env, "library"))
            continue
        found = [a for a in ALLOCATORS if a[0] == base]
        if not name or not found or not base.startswith("slabkit"):
            sys.exit("compare: --variant %r: want NAME=slabkit...:OPTIONS" % v)
        allocators.append((name, found[0][1], None, {"SLABKIT_OPTIONS": options}, base))
    if BASELINE not in [a[0] for a in allocators]:
        sys.exit("compare: ratios are against %s, which must be among the allocators" % BASELINE)
    workloads = [w for w in WORKLOADS
                 if (not args.only and not (args.quick and w.kind in ("program", "redis")))
                 or (args.only and w.name in args.only.split(","))]
    if args.only and len(workloads) != len(args.only.split(",")):
        sys.exit("compare: unknown workload in --only; workloads: " +
                 ", ".join(w.name for w in WORKLOADS))
    for name, lib, *_ in allocators:
        if lib and not os.path.exists(lib):
            sys.exit("compare: %s is missing (%s); tools/setup installs the peers" % (name, lib))
    for w in workloads:
        tool = {"program": w.argv and w.argv[0], "redis": "redis-benchmark"}.get(w.kind)
        if tool and not shutil.which(tool):
            sys.exit("compare: %s is not installed; tools/setup installs it" % tool)

    results = Results([a[0] for a in allocators], workloads)
    reference = {}  # program -> glibc's output digest
    debug_build = False
    tmp = tempfile.mkdtemp(prefix="slabkit-compare-")
    started = time.monotonic()
    for rep in range(reps):
        for wi, w in enumerate(workloads):
            # Interleaved: each workload runs under every allocator in turn,
            # the order rotating so that none always goes first.
            shift = (rep + wi) % len(allocators)
            for name, lib, _, env, base in allocators[shift:] + allocators[:shift]:
                if w.kind == "class" and not base.startswith("slabkit"):
                    continue
                preload = os.path.abspath(lib) if lib else None
                if w.kind == "redis":
                    run = run_redis(preload, env, args.quick, tmp)
                elif w.kind == "class":
                    argv = list(w.quick if args.quick else w.argv)
                    if base == "slabkit-hardened":
                        argv[0] = B + "fixed_size_hardened"
                    run = spawn(argv, None, env, None, tmp)
                else:
                    argv = w.quick if args.quick and w.quick else w.argv
                    run = spawn(argv, preload, dict(w.env, **env), w.stdin, tmp)
                if w.kind == "program" and run.ok:
                    if name == "glibc" or w.name not in reference:
                        reference.setdefault(w.name, run.digest)
                    if run.digest != reference[w.name]:
                        run.ok, run.error = False, "printed something else than under glibc"
                if w.kind in ("synthetic", "class") and "build=debug" in getattr(run, "output", ""):
                    debug_build = True
                results.add(w.name, name, run)
                print("%-22s %-17s %s" % (
                    w.name, name, "%.3f s  %.1f MiB" % (run.wall, run.rss_kib / 1024)
                    if run.ok else "FAILED " + run.error), flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    if debug_build:
        print("\ncompare: WARNING: the workloads are not optimized; "
              "use bazel run -c opt //benchmarks:compare\n", file=sys.stderr)

    meta = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "versions": {n: package_version(p) for n, _, p, *_ in allocators},
        "reps": reps,
        "quick": args.quick,
        "seconds": round(time.monotonic() - started),
    }
    return report(results, meta, args)


def report(results, meta, args):
    """Prints the tables and writes what --out and --update-doc ask for;
    the exit status (1 when a run failed)."""
    text = markdown(results, meta)
    print()
    print(text)
    if args.out:
        out = workspace_path(args.out)
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "results.md"), "w") as f:
            f.write(text)
        with open(os.path.join(out, "results.json"), "w") as f:
            json.dump({"meta": meta, "runs": [
                {"workload": w, "allocator": a,
                 "runs": [[r.wall, r.user, r.system, r.rss_kib] for r in runs]}
                for (w, a), runs in results.runs.items()], "failures": results.failures},
                f, indent=1)
        chart(results, os.path.join(out, "results.png"))
        print("compare: wrote %s/results.{md,json,png}" % out)
    if args.update_doc:
        doc = workspace_path(args.update_doc)
        begin, end = "<!-- results: begin -->", "<!-- results: end -->"
        content = open(doc).read()
        if begin not in content or end not in content:
            sys.exit("compare: %s has no %s ... %s markers" % (doc, begin, end))
        png = os.path.join(os.path.dirname(doc), "benchmarks.png")
        chart(results, png)
        section = "%s\n%s\n![chart](benchmarks.png)\n\n%s" % (begin, text, end)
        content = content[:content.index(begin)] + section + content[content.index(end) + len(end):]
        with open(doc, "w") as f:
            f.write(content)
        print("compare: updated %s and %s" % (doc, png))
    return 1 if results.failures else 0


if __name__ == "__main__":
    sys.exit(main())
