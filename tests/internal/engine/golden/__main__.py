"""``python -m tests.internal.engine.golden [--record]``: check (default) or
re-record the golden hashes of the generated source."""

from __future__ import annotations

import sys

from . import check, record


def main(argv: list[str]) -> int:
    if "--record" in argv:
        record()
        return 0
    bad = check()
    print("golden: identical" if not bad else f"golden: {bad} modules differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
