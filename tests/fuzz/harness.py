"""The fuzz supervisor: makes cases, runs them in worker subprocesses
(worker.py) with a time and memory limit, and keeps what it finds.

Two modes:

- ``mutate``: modules of the spec suite (``../shared/spectest``), the
  benchmark corpus (``../shared/bench/wasm``) and random valid modules,
  mutated (bytes flipped, set to edge values, inserted, deleted, duplicated,
  spliced from another module, truncated), run through decode, validation,
  instantiation and calls of their exports on one engine;
- ``diff``: random valid modules (generate.py) run on every engine of the
  engine registry and on wasmtime; their results and memories must agree.

A finding -- a worker crash (signal or exit), a hang (no answer within
the case's limit), an exception other than wasmzero's typed errors, a slow
decode/validate/instantiate, or a disagreement -- is saved under
``tests/fuzz/corpus/`` (``<kind>-<hash>.wasm`` or ``.wat`` plus a ``.txt``
with the details), where ``test_fuzz.py`` replays it on every test run.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import select
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).with_name("corpus")
SHARED = ROOT.parent / "shared"
HARD_SECONDS = 60.0  # a worker silent this long on one case hangs
MEMORY_MIB = 2048


def seed_modules(rnd: random.Random, limit: int = 400) -> list[bytes]:
    """Up to ``limit`` seed modules: a sample of the spec suite's modules and
    the benchmark corpus when ``../shared`` is there, and random valid ones."""
    paths = sorted((SHARED / "spectest").glob("v*/*.wasm"))
    rnd.shuffle(paths)
    seeds = [p.read_bytes() for p in paths[:limit]]
    seeds = [s for s in seeds if len(s) <= 64 * 1024]
    seeds += [p.read_bytes() for p in sorted((SHARED / "bench" / "wasm").glob("*.wasm"))]
    seeds += [m.read_bytes() for m in sorted(CORPUS.glob("*.wasm"))]
    try:
        import wasmtime

        from .generate import random_module

        seeds += [wasmtime.wat2wasm(random_module(rnd.getrandbits(32))) for _ in range(20)]
    except ImportError:
        pass
    if not seeds:
        seeds.append(b"\x00asm\x01\x00\x00\x00")
    # Valid seeds three times over: their mutations get further.
    return seeds + [s for s in seeds if _valid(s)] * 2


def _valid(data: bytes) -> bool:
    from wasmzero import CoreFeatures, WasmError
    from wasmzero.internal.binary.decoder import decode_module
    from wasmzero.internal.wasm.validation import validate_module

    try:
        validate_module(decode_module(data, CoreFeatures.V2), CoreFeatures.V2)
    except WasmError:
        return False
    return True


_EDGE = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0x40, 0x41, 0x0B, 0x10, 0x11, 0x20, 0x60, 0x70, 0xFD]


def _leb(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after) of the unsigned LEB128 at ``pos``."""
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 35:
            raise ValueError("bad LEB128")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def _u32(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)


def _items(data: bytes, pos: int) -> list[tuple[int, bytes]] | None:
    """(id, payload) of the sections from ``pos``; None when malformed."""
    out = []
    try:
        while pos < len(data):
            sid = data[pos]
            size, start = _leb(data, pos + 1)
            if start + size > len(data):
                return None
            out.append((sid, data[start : start + size]))
            pos = start + size
    except ValueError:
        return None
    return out


def mutate(rnd: random.Random, data: bytes, other: bytes) -> bytes:
    """A mutation of ``data``: most of the time inside one section (or one
    function body) with the sizes around it fixed, so that it gets past the
    decoder; otherwise raw edits anywhere."""
    sections = _items(data, 8) if data[:8] == b"\x00asm\x01\x00\x00\x00" else None
    if sections and rnd.random() < 0.75:
        k = rnd.randrange(len(sections))
        sid, payload = sections[k]
        if sid == 10 and rnd.random() < 0.85:
            payload = _mutate_code(rnd, payload, other)
        else:
            payload = _raw_edits(rnd, payload, other, 0, in_place=rnd.random() < 0.5)
        sections[k] = (sid, payload)
        return data[:8] + b"".join(bytes([i]) + _u32(len(p)) + p for i, p in sections)
    return _raw_edits(rnd, data, other, 8 if rnd.random() < 0.95 else 0, False)


def _mutate_code(rnd: random.Random, payload: bytes, other: bytes) -> bytes:
    try:
        count, pos = _leb(payload, 0)
        bodies = []
        for _ in range(count):
            size, start = _leb(payload, pos)
            bodies.append(payload[start : start + size])
            pos = start + size
    except ValueError:
        return _raw_edits(rnd, payload, other, 0, True)
    if not bodies:
        return payload
    k = rnd.randrange(len(bodies))
    bodies[k] = _raw_edits(rnd, bodies[k], other, 0, in_place=rnd.random() < 0.6)
    return _u32(len(bodies)) + b"".join(_u32(len(b)) + b for b in bodies)


def _raw_edits(rnd: random.Random, data: bytes, other: bytes, lo: int, in_place: bool) -> bytes:
    """One to four random edits of ``data`` from offset ``lo`` on (byte
    replacements only when ``in_place``)."""
    b = bytearray(data)
    for _ in range(rnd.choice((1, 1, 1, 1, 2, 2, 3, 4))):
        if len(b) <= lo:
            b += bytes([rnd.randrange(256)])
            continue
        pos = rnd.randrange(lo, len(b))
        c = rnd.random() * (0.6 if in_place else 1.0)
        if c < 0.3:
            b[pos] = rnd.randrange(256)
        elif c < 0.5:
            b[pos] = rnd.choice(_EDGE)
        elif c < 0.6:
            b[pos] ^= 1 << rnd.randrange(8)
        elif c < 0.7:
            b[pos:pos] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 8)))
        elif c < 0.8:
            del b[pos : pos + rnd.randrange(1, 16)]
        elif c < 0.88:
            n = rnd.randrange(1, 64)
            b[pos:pos] = b[pos : pos + n]
        elif c < 0.95 and len(other) > 8:
            cut = rnd.randrange(8, len(other))
            b = b[:pos] + bytearray(other[cut : cut + rnd.randrange(1, 256)]) + b[pos:]
        else:
            del b[pos:]
    return bytes(b)


class Worker:
    """One worker subprocess, restarted after a crash or hang."""

    def __init__(self, memory_mib: int = MEMORY_MIB) -> None:
        self.memory_mib = memory_mib
        self.proc: subprocess.Popen | None = None
        self.cases = 0

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + str(ROOT))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.fuzz.worker", "--memory-mib", str(self.memory_mib)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(ROOT),
            env=env,
        )
        self.cases = 0

    def stop(self) -> None:
        proc = self.proc
        self.proc = None
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for f in (proc.stdin, proc.stdout, proc.stderr):
                if f is not None:
                    f.close()

    def run(self, request: dict[str, Any], seconds: float = HARD_SECONDS) -> dict[str, Any]:
        """The worker's answer, or a crash/hang finding."""
        if self.proc is None or self.proc.poll() is not None or self.cases >= 400:
            self.stop()
            self.start()
        proc = self.proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        self.cases += 1
        try:
            proc.stdin.write((json.dumps(request) + "\n").encode())
            proc.stdin.flush()
        except BrokenPipeError:
            pass
        ready, _, _ = select.select([proc.stdout], [], [], seconds)
        line = proc.stdout.readline() if ready else b""
        if line:
            return json.loads(line)
        if proc.poll() is None:
            self.stop()
            return {"status": "hang", "detail": f"no answer within {seconds} s"}
        code = proc.wait()
        err = proc.stderr.read().decode(errors="replace")[-3000:] if proc.stderr else ""
        self.stop()
        return {"status": "crash", "detail": f"worker exit status {code}\n{err}"}


FINDINGS = ("crash", "hang", "untyped", "slow", "diff")


@dataclass
class Report:
    cases: int = 0
    diff_cases: int = 0
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # (status, file, detail)

    def summary(self) -> str:
        lines = [
            f"fuzz: {self.cases} mutated modules, {self.diff_cases} differential modules, "
            f"{len(self.findings)} findings"
        ]
        lines += [f"  {status}: {path}" for status, path, _ in self.findings]
        return "\n".join(lines)


def save(status: str, payload: bytes | str, detail: str, directory: Path = CORPUS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    raw = payload.encode() if isinstance(payload, str) else payload
    digest = hashlib.sha256(raw).hexdigest()[:16]
    ext = "wat" if isinstance(payload, str) else "wasm"
    path = directory / f"{status}-{digest}.{ext}"
    path.write_bytes(raw)
    path.with_suffix(".txt").write_text(detail + "\n")
    return path


def run(
    seed: int,
    seconds: float | None = None,
    cases: int | None = None,
    diff_cases: int | None = None,
    mode: str = "both",
    engines: tuple[str, ...] = ("compiler", "interpreter", "native"),
    save_to: Path | None = CORPUS,
    log: Any = None,
) -> Report:
    """Fuzz until ``seconds`` pass or the case counts are done (a seeded run
    with counts is reproducible). Findings are saved to ``save_to`` (None:
    only reported)."""
    rnd = random.Random(seed)
    seeds = seed_modules(rnd)
    report = Report()
    worker = Worker()
    deadline = None if seconds is None else time.monotonic() + seconds
    want_mut = mode in ("both", "mutate")
    want_diff = mode in ("both", "diff")
    try:
        while True:
            if deadline is not None and time.monotonic() > deadline:
                break
            more_mut = want_mut and (cases is None or report.cases < cases)
            more_diff = want_diff and (diff_cases is None or report.diff_cases < diff_cases)
            if not (more_mut or more_diff):
                break
            # About one differential module per ten mutated ones.
            if more_diff and (not more_mut or rnd.random() < 0.1):
                from .generate import random_module

                wat = random_module(rnd.getrandbits(32))
                answer = worker.run({"kind": "diff", "wat": wat}, 120.0)
                report.diff_cases += 1
                payload: bytes | str = wat
            else:
                data = mutate(rnd, rnd.choice(seeds), rnd.choice(seeds))
                engine = engines[report.cases % len(engines)]
                answer = worker.run({"kind": "module", "hex": data.hex(), "engine": engine})
                report.cases += 1
                payload = data
            status = answer["status"]
            if status in FINDINGS:
                path = "-"
                if save_to is not None:
                    path = str(save(status, payload, answer["detail"], save_to))
                report.findings.append((status, path, answer["detail"]))
                if log is not None:
                    print(f"finding: {status} {path}\n{answer['detail'][:2000]}", file=log)
            if log is not None and (report.cases + report.diff_cases) % 500 == 0:
                print(report.summary().splitlines()[0], file=log, flush=True)
    finally:
        worker.stop()
    return report


def replay(path: Path) -> dict[str, Any]:
    """Run one saved case again; the worker's answer."""
    worker = Worker()
    try:
        if path.suffix == ".wat":
            return worker.run({"kind": "diff", "wat": path.read_text()}, 120.0)
        answers = [
            worker.run({"kind": "module", "hex": path.read_bytes().hex(), "engine": engine})
            for engine in ("compiler", "interpreter", "native")
        ]
        bad = [a for a in answers if a["status"] != "ok"]
        return bad[0] if bad else answers[0]
    finally:
        worker.stop()
