"""Command line: ``python -m tests.spectest --suite v1|v2 [--engine NAME]
[--script NAME] [--tier-threshold N|none] [-v]``. Prints one line per script and, last, one summary
line ``spectest SUITE ENGINE: P passed, F failed, S skipped``."""

from __future__ import annotations

import argparse
import sys

from .runner import run_suite


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.spectest")
    ap.add_argument("--suite", choices=("v1", "v2"), required=True)
    ap.add_argument("--engine", default="compiler")
    ap.add_argument("--script", action="append", help="run only this script (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each failure")
    ap.add_argument(
        "--tier-threshold",
        metavar="N|none",
        help="RuntimeConfig.tier_threshold (calls and loop iterations interpreted before "
        "translating; none: never translate)",
    )
    args = ap.parse_args(argv)
    options: dict = {}
    if args.tier_threshold is not None:
        t = args.tier_threshold
        options["tier_threshold"] = None if t == "none" else int(t)
    total = run_suite(
        args.suite, args.engine, args.script, verbose=args.verbose, out=sys.stdout, options=options
    )
    return 0 if total.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
