"""``python -m tests.fuzz [--minutes N] [--seed S] [--mode both|mutate|diff]
[--engines compiler,interpreter,native]``:
fuzz wasmzero for N minutes (default 1); findings are saved under
tests/fuzz/corpus/ and listed at the end; exit status 1 when there are any."""

from __future__ import annotations

import argparse
import random
import sys

from .harness import CORPUS, run


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    p.add_argument("--minutes", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=None, help="default: random (printed)")
    p.add_argument("--mode", choices=("both", "mutate", "diff"), default="both")
    p.add_argument("--no-save", action="store_true", help="report findings without saving")
    p.add_argument(
        "--engines", default="compiler,interpreter,native", help="engines for mutated modules"
    )
    args = p.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"fuzz: seed {seed}, {args.minutes} minutes, mode {args.mode}", flush=True)
    report = run(
        seed,
        seconds=args.minutes * 60,
        mode=args.mode,
        engines=tuple(e for e in args.engines.split(",") if e),
        save_to=None if args.no_save else CORPUS,
        log=sys.stdout,
    )
    print(report.summary(), flush=True)
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
