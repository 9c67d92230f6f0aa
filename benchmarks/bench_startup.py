"""Start-up of large real programs (issue 23), whole processes, interleaved.

Three parts, each skippable:

1. ``startup``: every program of ``programs/catalog.py`` as a whole process
   under wasmtime-py (``python -c``: its Cranelift code and WASI), wasmzero's
   first run (an empty cache directory, new for each run), its cached run (a
   cache filled by an untimed run first), its ``--no-cache`` run, and pwasm
   ``mode="compile"`` (its cache off). Wall time and the child's peak RSS
   (``ru_maxrss`` from ``wait4``); every output and exit status is checked
   against wasmtime's.
2. ``translate``: seconds per MB of translating the whole module, in a fresh
   process each: wasmzero decode + validate + translate every function (no
   cache); pwasm decode + instantiate + compile every function to Python.
3. ``corpus``: the shared corpus (``../shared/bench``) at its smallest sizes
   (its runner's ``quick`` arguments) cold: wasmzero ``--no-cache`` and first
   run (empty cache) against pwasm ``mode="compile"`` (the issue's 1.5x).

    python benchmarks/bench_startup.py [-n 3] [--programs sqlite,resvg]
        [--parts startup,translate,corpus] [--runtimes wasmtime,wasmzero-first,...]
        [--json FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "programs"))
import catalog  # noqa: E402

SHARED = ROOT.parent / "shared" / "bench"
RUNTIMES = ("wasmtime", "wasmzero-first", "wasmzero-cached", "wasmzero-nocache", "pwasm-compile")
# Not run unless asked for (--runtimes ...,wasmzero-native).
OPTIONAL = ("wasmzero-native", "wasmzero-compiler")

WASMTIME = """
import sys, wasmtime
path, args = sys.argv[1], sys.argv[2:]
engine = wasmtime.Engine()
store = wasmtime.Store(engine)
wasi = wasmtime.WasiConfig()
wasi.argv = [path] + args
wasi.inherit_stdin(); wasi.inherit_stdout(); wasi.inherit_stderr()
store.set_wasi(wasi)
linker = wasmtime.Linker(engine)
linker.define_wasi()
inst = linker.instantiate(store, wasmtime.Module.from_file(engine, path))
try:
    inst.exports(store)["_start"](store)
except wasmtime.ExitTrap as e:
    sys.exit(e.code)
"""

PWASM = """
import sys
from pwasm.sandbox import Sandbox
from pwasm.wasi import Exit
path, args = sys.argv[1], sys.argv[2:]
sb = Sandbox(path, args=[path] + args, mode="compile", stdin=sys.stdin.buffer.read())
code = 0
try:
    sb.call("_start")
except Exit as e:
    code = e.code
finally:
    sys.stdout.buffer.write(bytes(sb.wasi.stdout))
    sys.stderr.buffer.write(bytes(sb.wasi.stderr))
sys.exit(code)
"""

# Whole-module translation, in a fresh process; prints one JSON line.
WZ_TRANSLATE = """
import json, sys, time
t0 = time.perf_counter()
from wasmzero.config import RuntimeConfig
from wasmzero.runtime import Runtime
data = open(sys.argv[1], "rb").read()
rt = Runtime(RuntimeConfig(engine=sys.argv[2], compilation_cache=None))
t1 = time.perf_counter()
compiled = rt.compile_module(data)
t2 = time.perf_counter()
compiled._code.translate_all()
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "decode": t2 - t1, "translate": t3 - t2}))
"""

PW_TRANSLATE = """
import json, sys, time
t0 = time.perf_counter()
from pwasm.sandbox import Sandbox
from pwasm.runtime import WasmFunction
t1 = time.perf_counter()
sb = Sandbox(sys.argv[1], mode="compile", initialize=False)
t2 = time.perf_counter()
funcs = [f for f in sb.instance.functions if isinstance(f, WasmFunction)]
for f in funcs:
    f.tier_up()
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "decode": t2 - t1, "translate": t3 - t2, "n": len(funcs)}))
"""


def run(cmd: list[str], stdin: Path | None, env: dict[str, str], timeout: float) -> dict:
    """One whole process: wall time, peak RSS (KB), exit status, output."""
    with tempfile.TemporaryFile() as out, open(stdin or os.devnull, "rb") as inp:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=inp, stdout=out, stderr=subprocess.PIPE, env=env)
        # A blocking wait (polling would round every time up to its period),
        # with a timer that kills the child at the deadline.
        killed: list[bool] = []

        def kill() -> None:
            killed.append(True)
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        if killed:
            proc.returncode = -9
            return {"time": None, "rss": None, "rc": "timeout", "out": b"", "err": ""}
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        out.seek(0)
        return {
            "time": wall,
            "rss": usage.ru_maxrss,
            "rc": proc.returncode,
            "out": out.read(),
            "err": err[-500:],
        }


def cmd(py: str, rt: str, path: Path, args: list[str], cache: Path | None = None) -> list[str]:
    """The command line of one run of a program under runtime ``rt``."""
    if rt == "wasmtime":
        return [py, "-c", WASMTIME, str(path), *args]
    if rt == "pwasm-compile":
        return [py, "-c", PWASM, str(path), *args]
    flags = ["--no-cache"] if cache is None else ["--cache-dir", str(cache)]
    if rt == "wasmzero-native":  # the native engine (issue 25), no cache
        flags = ["--no-cache", "--engine", "native"]
    if rt == "wasmzero-compiler":  # the compiler engine (wasm to Python), no cache
        flags = ["--no-cache", "--engine", "compiler"]
    return [py, "-m", "wasmzero", "run", *flags, str(path), *args]


SRC = ROOT / "src"


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(SRC) + os.pathsep + env.get("PYTHONPATH", "")
    env["PWASM_CACHE_DIR"] = ""
    return env


def median(xs: list) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def part_startup(opts: argparse.Namespace, programs: list, results: dict) -> None:
    py, env = opts.python, base_env()
    runtimes = opts.runtimes
    warm_root = Path(tempfile.mkdtemp(prefix="wz-warm-"))
    table = results.setdefault("startup", {})
    try:
        for prog, path in programs:
            stdin = catalog.HERE / prog.stdin if prog.stdin else None
            args = list(prog.args)
            warm = warm_root / prog.name

            ref = run(cmd(py, "wasmtime", path, args), stdin, env, opts.timeout)
            if "wasmzero-cached" in runtimes:
                run(
                    cmd(py, "wasmzero-cached", path, args, warm), stdin, env, opts.timeout
                )  # fills the cache
            rows = table.setdefault(prog.name, {rt: [] for rt in runtimes})
            for _ in range(opts.n):
                for rt in runtimes:
                    if rt == "wasmzero-first":
                        fresh = Path(tempfile.mkdtemp(prefix="wz-first-"))
                        r = run(cmd(py, rt, path, args, fresh), stdin, env, opts.timeout)
                        shutil.rmtree(fresh, ignore_errors=True)
                    elif rt == "wasmzero-cached":
                        r = run(cmd(py, rt, path, args, warm), stdin, env, opts.timeout)
                    else:
                        r = run(cmd(py, rt, path, args), stdin, env, opts.timeout)
                    ok = r["rc"] == ref["rc"] and r["out"] == ref["out"]
                    if not ok and r["rc"] != "timeout":
                        r["rc"] = f"wrong (rc {r['rc']}): {r['err'][-200:]!r}"
                    rows[rt].append(
                        {"time": r["time"] if ok else None, "rss": r["rss"], "rc": r["rc"]}
                    )
                    t = f"{r['time']:.2f} s" if r["time"] is not None else "-"
                    print(
                        f"  {prog.name:12} {rt:17} {t:>9} {r['rss'] or 0:>8} KB  {r['rc']}",
                        file=sys.stderr,
                    )
    finally:
        shutil.rmtree(warm_root, ignore_errors=True)


def part_translate(opts: argparse.Namespace, programs: list, results: dict) -> None:
    py, env = opts.python, base_env()
    table = results.setdefault("translate", {})
    for prog, path in programs:
        rows = table.setdefault(
            prog.name,
            {"size": path.stat().st_size, "code": code_size(path), "wasmzero": [], "pwasm": []},
        )
        rows.setdefault("wasmzero-native", [])
        for _ in range(opts.n):
            for name, script, extra in (
                ("wasmzero", WZ_TRANSLATE, ["compiler"]),
                ("wasmzero-native", WZ_TRANSLATE, ["native"]),
                ("pwasm", PW_TRANSLATE, []),
            ):
                r = run([py, "-c", script, str(path), *extra], None, env, opts.timeout)
                entry: dict = {"rss": r["rss"], "rc": r["rc"]}
                if r["rc"] == 0:
                    entry.update(json.loads(r["out"].decode().strip().splitlines()[-1]))
                else:
                    entry["err"] = r["err"][-300:]
                rows[name].append(entry)
                print(f"  {prog.name:12} translate {name:9} {entry}", file=sys.stderr)


def part_corpus(opts: argparse.Namespace, results: dict) -> None:
    spec = importlib.util.spec_from_file_location("shared_bench_run", SHARED / "run.py")
    if spec is None or spec.loader is None or not (SHARED / "run.py").exists():
        print(f"no shared corpus at {SHARED}: corpus part skipped", file=sys.stderr)
        return
    shared = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = shared  # its dataclasses look their module up
    spec.loader.exec_module(shared)
    py, env = opts.python, base_env()
    table = results.setdefault("corpus", {})
    data = SHARED / "data"
    for name, b in shared.BENCHMARKS.items():
        wasm = SHARED / "wasm" / f"{b['wasm']}.wasm"
        args = list(b["quick"])
        mount = ["--mount", f"{data}:/data"]
        cmds = {
            "wasmtime": [
                py,
                str(SHARED / "runners" / "wasmtime_run.py"),
                "--dir",
                f"{data}::/data",
                str(wasm),
                *args,
            ],
            "pwasm-compile": [
                py,
                str(SHARED / "runners" / "pwasm_run.py"),
                "--mode",
                "compile",
                str(wasm),
                *args,
            ],
            "wasmzero-nocache": [
                py,
                "-m",
                "wasmzero",
                "run",
                "--no-cache",
                *mount,
                str(wasm),
                *args,
            ],
            "wasmzero-first": None,
        }
        ref = None
        rows = table.setdefault(name, {k: [] for k in cmds})
        for _ in range(opts.n):
            for rt, c in cmds.items():
                fresh = None
                if c is None:
                    fresh = Path(tempfile.mkdtemp(prefix="wz-first-"))
                    c = [
                        py,
                        "-m",
                        "wasmzero",
                        "run",
                        "--cache-dir",
                        str(fresh),
                        *mount,
                        str(wasm),
                        *args,
                    ]
                r = run(c, None, env, opts.timeout)
                if fresh:
                    shutil.rmtree(fresh, ignore_errors=True)
                if rt == "wasmtime" and ref is None:
                    ref = r
                ok = ref is not None and r["rc"] == ref["rc"] and r["out"] == ref["out"]
                rows[rt].append({"time": r["time"] if ok else None, "rss": r["rss"], "rc": r["rc"]})
                t = f"{r['time']:.2f} s" if ok and r["time"] is not None else f"- ({r['rc']})"
                print(f"  corpus {name:12} {rt:17} {t}", file=sys.stderr)


def code_size(path: Path) -> int:
    """Bytes of the module's code section (its function bodies)."""
    data = path.read_bytes()
    pos = 8
    while pos < len(data):
        sid = data[pos]
        pos += 1
        size = shift = 0
        while True:
            b = data[pos]
            pos += 1
            size |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                break
        if sid == 10:
            return size
        pos += size
    return 0


def fmt(x: float | None, digits: int = 2) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def report(results: dict, programs: list) -> str:
    lines: list[str] = []
    sizes = {p.name: path.stat().st_size for p, path in programs}
    paths = {p.name: path for p, path in programs}
    st = results.get("startup")
    if st:
        rts = [rt for rt in (*RUNTIMES, *OPTIONAL) if any(rt in rows for rows in st.values())]
        lines += ["| program | size | " + " | ".join(rts) + " |", "|---|---:|" + "---:|" * len(rts)]
        for name, rows in st.items():
            base = median([r["time"] for r in rows.get("wasmtime", [])])
            cells = []
            for rt in rts:
                m = median([r["time"] for r in rows.get(rt, [])])
                if m is None:
                    rcs = {str(r["rc"])[:40] for r in rows.get(rt, [])}
                    cells.append("error: " + ", ".join(sorted(rcs)) if rcs else "-")
                elif base and rt != "wasmtime":
                    cells.append(f"{m:.2f} ({m / base:.1f}x)")
                else:
                    cells.append(f"{m:.2f}")
            lines.append(
                f"| {name} | {sizes.get(name, 0) / 1e6:.1f} MB | " + " | ".join(cells) + " |"
            )
        lines += [
            "",
            "Peak RSS (MB, median):",
            "",
            "| program | " + " | ".join(rts) + " |",
            "|---|" + "---:|" * len(rts),
        ]
        for name, rows in st.items():
            cells = [
                fmt(
                    median([r["rss"] for r in rows.get(rt, [])])
                    and median([r["rss"] for r in rows.get(rt, [])]) / 1024,
                    0,
                )
                for rt in rts
            ]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        lines.append("")
    tr = results.get("translate")
    if tr:
        lines += [
            "| program | size | code section | wasmzero decode+validate | wasmzero translate "
            "all | wasmzero s/MB of code | native decode | native compile all | native s/MB | "
            "pwasm decode+instantiate | pwasm compile all | "
            "pwasm s/MB of code | peak RSS wasmzero / native / pwasm (MB) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name, rows in tr.items():
            code = rows.get("code") or (code_size(paths[name]) if name in paths else 0)
            mb = code / 1e6 if code else rows["size"] / 1e6
            cells = [f"{mb:.2f} MB"]
            rts = ("wasmzero", "wasmzero-native", "pwasm")
            for rt in rts:
                ok = [r for r in rows.get(rt, []) if r.get("rc") == 0]
                d = median([r["decode"] for r in ok])
                t = median([r["translate"] for r in ok])
                if d is None or t is None:
                    cells += ["error", "-", "-"]
                else:
                    cells += [fmt(d), fmt(t), fmt((d + t) / mb)]
            rss = [median([r["rss"] for r in rows.get(rt, [])]) for rt in rts]
            cells.append(" / ".join(fmt(x and x / 1024, 0) for x in rss))
            lines.append(f"| {name} | {rows['size'] / 1e6:.1f} MB | " + " | ".join(cells) + " |")
        lines.append("")
    co = results.get("corpus")
    if co:
        rts = ["wasmtime", "pwasm-compile", "wasmzero-nocache", "wasmzero-first"]
        lines += [
            "| benchmark (quick size) | " + " | ".join(rts) + " | pwasm / nocache |",
            "|---|" + "---:|" * (len(rts) + 1),
        ]
        ratios = []
        for name, rows in co.items():
            ms = {rt: median([r["time"] for r in rows.get(rt, [])]) for rt in rts}
            pw, wz = ms["pwasm-compile"], ms["wasmzero-nocache"]
            ratio = pw / wz if pw and wz else None
            if ratio and name != "startup":
                ratios.append(ratio)
            lines.append(
                f"| {name} | " + " | ".join(fmt(ms[rt]) for rt in rts) + f" | {fmt(ratio)}x |"
            )
        if ratios:
            gm = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
            lines.append(f"| geomean (excl. startup) | | | | | {gm:.2f}x |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    global SRC
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=3, help="runs per program and runtime")
    ap.add_argument("--programs", help="comma-separated subset of the catalog")
    ap.add_argument("--parts", default="startup,translate,corpus")
    ap.add_argument("--runtimes", default=",".join(RUNTIMES))
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per process")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--json", default=str(ROOT / "benchmarks" / "results-startup.json"))
    ap.add_argument(
        "--startup-only",
        action="store_true",
        help="also the start-up-only runs of the programs (--version, a tiny input)",
    )
    ap.add_argument("--table-from", metavar="JSON", help="reprint the tables of a results file")
    ap.add_argument(
        "--src",
        default=str(ROOT / "src"),
        help="wasmzero sources to measure (e.g. a `git archive` snapshot, so that edits to the "
        "work tree during a long run change neither the code nor the cache key)",
    )
    opts = ap.parse_args()
    SRC = Path(opts.src).resolve()
    opts.runtimes = [r for r in opts.runtimes.split(",") if r]
    if not importlib.util.find_spec("wasmtime"):
        opts.runtimes = [r for r in opts.runtimes if r != "wasmtime"]
        print("wasmtime-py is not installed: no reference (outputs unchecked)", file=sys.stderr)
    if not importlib.util.find_spec("pwasm"):
        opts.runtimes = [r for r in opts.runtimes if r != "pwasm-compile"]
        print("pwasm is not installed: pip install pwasm", file=sys.stderr)
    wanted = set(opts.programs.split(",")) if opts.programs else None
    programs = []
    for p in catalog.PROGRAMS + catalog.STARTUP_ONLY:
        if wanted and p.name not in wanted:
            continue
        if not wanted and p in catalog.STARTUP_ONLY and not opts.startup_only:
            continue
        try:
            programs.append((p, catalog.get(p, opts.python)))
        except catalog.Unavailable as e:
            print(f"{p.name}: skipped: {e}", file=sys.stderr)
    if opts.table_from:
        with open(opts.table_from) as f:
            print(report(json.load(f), programs))
        return 0
    parts = set(opts.parts.split(","))
    results: dict = {}
    for part, fn in (
        ("startup", lambda: part_startup(opts, programs, results)),
        ("translate", lambda: part_translate(opts, programs, results)),
        ("corpus", lambda: part_corpus(opts, results)),
    ):
        if part in parts:
            fn()
            with open(opts.json, "w") as f:  # after each part: a long run keeps what it measured
                json.dump(results, f, indent=1, default=repr)
    print(report(results, programs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
