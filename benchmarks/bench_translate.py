"""Translation throughput of the compiler engine, against pwasm's.

Translates every defined function of a few large modules (or every N-th
with ``--every N``) and prints seconds per MB of code section (the bodies
translated), split into:

- ``decode``: decoding and validating the whole module (per MB of its whole
  code section);
- ``passes``: the analyses (``plan_function``);
- ``emit``: the emitters (``Translator.translate``);
- ``compile``: Python's ``compile()`` of the generated source;

and, when pwasm is installed, pwasm's time for the same bodies: its decoder,
its body decoder, its ``Translator`` and ``compile()`` (pwasm validates
nothing ahead of running).

    python benchmarks/bench_translate.py [--every N] [--no-pwasm] [--digest] [FILE.wasm ...]

``--digest`` prints a SHA-256 of all the generated source (it must not
change when only the translator's speed changes; the golden tests in
tests/internal/engine guard the small modules, this the large ones).
``--profile`` runs cProfile over our translation and prints the top
functions by own time.

Without files: the large modules found in the repository (the Go test
program of gojs, MicroPython, the esbuild and benchmark-program downloads
when present) and the largest modules of the shared corpus.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib.util
import time
from pathlib import Path

from wasmzero import CoreFeatures
from wasmzero.internal.binary.decoder import decode_module
from wasmzero.internal.engine.compiler.plan import plan_function
from wasmzero.internal.engine.compiler.translate import TranslationLimit, Translator
from wasmzero.internal.engine.context import ModuleContext
from wasmzero.internal.wasm.validation import validate_module

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "bench" / "wasm"
CANDIDATES = [
    ROOT / "tests/imports/gojs/testdata/gotest.wasm",
    ROOT / "tests/imports/emscripten/testdata/micropython/micropython.wasm",
    ROOT / "tests/imports/gojs/testdata/esbuild-wasm/esbuild.wasm",
    *sorted((ROOT / "benchmarks/programs/.cache").glob("resvg*.wasm")),
]
MB = 1 << 20


def default_modules() -> list[Path]:
    found = [p for p in CANDIDATES if p.is_file()]
    if CORPUS.is_dir():
        found += sorted(CORPUS.glob("*.wasm"), key=lambda p: -p.stat().st_size)[:2]
    return found


def ours(data: bytes, every: int, digest: hashlib._Hash | None) -> dict[str, float]:
    t0 = time.perf_counter()
    features = CoreFeatures.V2 | CoreFeatures.SIMD
    module = decode_module(data, features)
    validate_module(module, features)
    t1 = time.perf_counter()
    ctx = ModuleContext.of(module)
    nimp = ctx.num_imported_funcs
    out = {"decode": t1 - t0, "passes": 0.0, "emit": 0.0, "compile": 0.0, "bytes": 0, "funcs": 0}
    out["code_bytes"] = sum(c.size for c in module.codes)
    clock = time.perf_counter
    for k, code in enumerate(module.codes):
        if k % every:
            continue
        index = nimp + k
        a = clock()
        try:
            plan = plan_function(ctx, index)
            b = clock()
            src = Translator(ctx, index, plan).translate()
        except TranslationLimit:
            continue
        c = clock()
        try:
            compile(src, f"<wasm function {index}>", "exec")
        except (SyntaxError, RecursionError, MemoryError):
            pass  # (the engine interprets these)
        d = clock()
        out["passes"] += b - a
        out["emit"] += c - b
        out["compile"] += d - c
        out["bytes"] += code.size
        out["funcs"] += 1
        if digest is not None:
            digest.update(src.encode())
    return out


def theirs(data: bytes, every: int) -> dict[str, float]:
    from pwasm import decode_module as pdecode
    from pwasm.codegen import Translator as PTranslator

    t0 = time.perf_counter()
    module = pdecode(data)
    t1 = time.perf_counter()
    nimp = sum(1 for i in module.imports if i.kind == "func")
    out = {"decode": t1 - t0, "translate": 0.0, "compile": 0.0, "bytes": 0, "funcs": 0}
    clock = time.perf_counter
    for k, f in enumerate(module.funcs):
        if k % every:
            continue
        a = clock()
        try:
            src = PTranslator(module, nimp + k, f, module.types[f.type_idx], False).translate()
            b = clock()
            compile(src, "<pwasm>", "exec")
        except Exception:  # noqa: BLE001 (pwasm falls back to its interpreter)
            continue
        c = clock()
        out["translate"] += b - a
        out["compile"] += c - b
        out["bytes"] += len(f.code)
        out["funcs"] += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--every", type=int, default=1, help="translate every N-th function")
    ap.add_argument("--no-pwasm", action="store_true")
    ap.add_argument("--digest", action="store_true", help="SHA-256 of the generated source")
    ap.add_argument("--profile", action="store_true", help="cProfile our translation")
    args = ap.parse_args()
    files = args.files or default_modules()
    with_pwasm = not args.no_pwasm and importlib.util.find_spec("pwasm") is not None
    head = f"{'module':<22}{'code MB':>8}{'funcs':>7}  {'decode':>7}{'passes':>7}{'emit':>7}"
    head += f"{'compile':>8}{'total':>7}"
    if with_pwasm:
        head += f"   {'pwasm':>6}{'(tr':>6}{'comp)':>7}"
    print("seconds per MB of code section translated")
    print(head)
    for path in files:
        data = path.read_bytes()
        digest = hashlib.sha256() if args.digest else None
        gc.collect()
        if args.profile:
            import cProfile
            import pstats

            prof = cProfile.Profile()
            prof.enable()
        r = ours(data, args.every, digest)
        if args.profile:
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(40)
        mb = r["bytes"] / MB
        dec = r["decode"] / (r["code_bytes"] / MB)
        per = {k: r[k] / mb for k in ("passes", "emit", "compile")}
        total = dec + sum(per.values())
        line = f"{path.name[:21]:<22}{r['code_bytes'] / MB:>8.2f}{r['funcs']:>7}  {dec:>7.2f}"
        line += f"{per['passes']:>7.2f}{per['emit']:>7.2f}{per['compile']:>8.2f}{total:>7.2f}"
        if with_pwasm:
            gc.collect()
            p = theirs(data, args.every)
            pmb = p["bytes"] / MB
            pdec = p["decode"] / (r["code_bytes"] / MB)
            ptr, pco = p["translate"] / pmb, p["compile"] / pmb
            line += f"   {pdec + ptr + pco:>6.2f}{ptr:>6.2f}{pco:>7.2f}"
        print(line, flush=True)
        if digest is not None:
            print(f"  source sha256 {digest.hexdigest()}")


if __name__ == "__main__":
    main()
