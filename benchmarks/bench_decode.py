"""Decode + validate throughput.

Decodes and validates (1) a generated module of about 1 MB of code, built
from a mix of typical instructions (locals, arithmetic, loads/stores, calls,
blocks and branches), and (2) each module of the shared bench corpus.
Prints seconds per MB; the goal for CPython 3.11 is under 1 s per MB.

    python benchmarks/bench_decode.py [--size-mb 1.0] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from wasmzero import CoreFeatures
from wasmzero.internal.binary.decoder import decode_module
from wasmzero.internal.binary.encoder import section
from wasmzero.internal.binary.encoder import uleb128 as leb
from wasmzero.internal.wasm.validation import validate_module

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "bench" / "wasm"


# One function body: (param i32 i32) (result i32), 4 i32 locals; a loop
# mixing arithmetic, memory and a call, repeated.
_CHUNK = bytes(
    [
        0x02,
        0x40,  # block
        0x03,
        0x40,  # loop
        0x20,
        0x00,
        0x20,
        0x01,
        0x6A,
        0x21,
        0x02,  # l2 = l0 + l1
        0x20,
        0x02,
        0x41,
        0x03,
        0x74,
        0x21,
        0x03,  # l3 = l2 << 3
        0x20,
        0x03,
        0x28,
        0x02,
        0x00,
        0x21,
        0x04,  # l4 = load(l3)
        0x20,
        0x03,
        0x20,
        0x04,
        0x41,
        0x01,
        0x6A,
        0x36,
        0x02,
        0x04,  # store(l3+4)
        0x20,
        0x00,
        0x20,
        0x04,
        0x10,
        0x00,
        0x21,
        0x05,  # l5 = call 0
        0x20,
        0x05,
        0x41,
        0xE4,
        0x00,
        0x48,
        0x0D,
        0x00,  # br_if 0 (l5 < 100)
        0x20,
        0x01,
        0x45,
        0x0D,
        0x01,  # br_if 1 (l1 == 0)
        0x0B,
        0x0B,  # end end
    ]
)


def generated_module(size: int) -> bytes:
    body = b"\x01\x04\x7f" + _CHUNK * 40 + b"\x20\x00\x0b"
    entry = leb(len(body)) + body
    n = max(1, size // len(entry))
    types = b"\x01\x60\x02\x7f\x7f\x01\x7f"
    funcs = leb(n) + b"\x00" * n
    memory = b"\x01\x00\x01"
    code = leb(n) + entry * n
    return (
        b"\x00asm\x01\x00\x00\x00"
        + section(1, types)
        + section(3, funcs)
        + section(5, memory)
        + section(10, code)
    )


def measure(data: bytes, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        m = decode_module(data, CoreFeatures.V2)
        validate_module(m, CoreFeatures.V2)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mb", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = generated_module(int(args.size_mb * 1_000_000))
    t = measure(data, args.repeat)
    mb = len(data) / 1e6
    print("| module | size | decode+validate | s per MB |")
    print("|---|---:|---:|---:|")
    print(f"| generated | {len(data):,} B | {t * 1000:.0f} ms | {t / mb:.2f} |")
    for path in sorted(CORPUS.glob("*.wasm")):
        d = path.read_bytes()
        t = measure(d, args.repeat)
        print(f"| {path.name} | {len(d):,} B | {t * 1000:.1f} ms | {t / (len(d) / 1e6):.2f} |")


if __name__ == "__main__":
    main()
