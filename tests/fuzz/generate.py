"""Random valid modules for the differential mode: a few functions of i32/i64
expressions, structured control flow (every loop bounded by fuel), memory
loads and stores (some out of bounds: traps), globals, direct and indirect
calls, and f64 arithmetic. Written as WAT from one ``random.Random``, so a
seed reproduces a module.
"""

from __future__ import annotations

import random

_BIN = ["add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"]
_TRAPPING = ["div_s", "div_u", "rem_s", "rem_u"]
_CMP = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]
_UN = ["clz", "ctz", "popcnt"]
_LOADS = {
    "i32": ["i32.load", "i32.load8_s", "i32.load8_u", "i32.load16_s", "i32.load16_u"],
    "i64": ["i64.load", "i64.load8_u", "i64.load16_s", "i64.load32_u", "i64.load32_s"],
}
_STORES = {"i32": ["i32.store", "i32.store8", "i32.store16"], "i64": ["i64.store", "i64.store32"]}
# Not copysign: it shows a NaN's sign, which the spec leaves open (engines
# differ there legitimately).
_F64_BIN = ["add", "sub", "mul", "div", "min", "max"]
_F64_UN = ["neg", "abs", "sqrt", "floor", "ceil", "trunc", "nearest"]

FUNCS = 4  # functions f0..f3, each (param i32 i64) (result i32)
FUEL = 60


class Generator:
    """Random WAT for one module."""

    def __init__(self, rnd: random.Random) -> None:
        self.r = rnd
        self.labels = 0
        self.loops = 0  # loops around the code being generated
        self.func = 0

    def const(self, t: str) -> str:
        r = self.r
        bits = 32 if t == "i32" else 64
        k = r.choice(
            [0, 1, 2, 7, 31, 32, 63, -1, -2, (1 << (bits - 1)) - 1, -(1 << (bits - 1)), None]
        )
        if k is None:
            k = r.getrandbits(bits) - (1 << (bits - 1))
        return f"({t}.const {k})"

    def address(self) -> str:
        r = self.r
        if r.random() < 0.1:
            return "(i32.const 65534)"  # wide accesses here trap
        return f"(i32.and {self.expr('i32', 1)} (i32.const {r.choice([255, 4095, 65535])}))"

    def expr(self, t: str, depth: int) -> str:
        r = self.r
        if depth <= 0 or r.random() < 0.15:
            c = r.random()
            if c < 0.45:
                return (
                    f"(local.get {0 if t == 'i32' else 1})"
                    if r.random() < 0.7
                    else (f"(local.get {2 if t == 'i32' else 3})")
                )
            if c < 0.6:
                return f"(global.get {0 if t == 'i32' else 1})"
            return self.const(t)
        c = r.random()
        d = depth - 1
        if c < 0.35:
            op = r.choice(_BIN + (_TRAPPING if r.random() < 0.15 else []))
            return f"({t}.{op} {self.expr(t, d)} {self.expr(t, d)})"
        if c < 0.45:
            return f"({t}.{r.choice(_UN)} {self.expr(t, d)})"
        if c < 0.55:
            cmp = f"({t}.{r.choice(_CMP)} {self.expr(t, d)} {self.expr(t, d)})"
            return cmp if t == "i32" else f"(i64.extend_i32_u {cmp})"
        if c < 0.65:
            load = r.choice(_LOADS[t])
            return f"({load} offset={r.choice([0, 0, 4, 100])} {self.address()})"
        if c < 0.72:
            return f"(select {self.expr(t, d)} {self.expr(t, d)} {self.expr('i32', d)})"
        if c < 0.8:
            if t == "i32":
                return f"(i32.wrap_i64 {self.expr('i64', d)})"
            return f"(i64.extend_i32_{r.choice('su')} {self.expr('i32', d)})"
        if c < 0.86 and self.func < FUNCS - 1 and not self.loops:
            # Calls go to later functions only (no recursion), never from a
            # loop (the callee's loops would multiply the work).
            args = f"{self.expr('i32', d)} {self.expr('i64', d)}"
            if self.func == 0 and r.random() < 0.4:
                # The table holds f1..f3 (and null entries: traps).
                call = f"(call_indirect (type $sig) {args} (i32.and {self.expr('i32', d)} (i32.const 7)))"
            else:
                call = f"(call $f{r.randrange(self.func + 1, FUNCS)} {args})"
            return call if t == "i32" else f"(i64.extend_i32_s {call})"
        if c < 0.93:
            f = f"(f64.{r.choice(_F64_BIN)} {self.fexpr(d)} {self.fexpr(d)})"
            conv = "i32.trunc_sat_f64_s" if t == "i32" else "i64.trunc_sat_f64_u"
            return f"({conv} {f})"
        return f"(if (result {t}) {self.expr('i32', d)} (then {self.expr(t, d)}) (else {self.expr(t, d)}))"

    def fexpr(self, depth: int) -> str:
        r = self.r
        if depth <= 0 or r.random() < 0.3:
            if r.random() < 0.5:
                return f"(f64.convert_i32_s {self.expr('i32', 0)})"
            return f"(f64.const {r.choice(['0', '-0', '1.5', '-2.25', '1e300', 'inf', '-inf', '0x1p-1074'])})"
        if r.random() < 0.5:
            return f"(f64.{r.choice(_F64_UN)} {self.fexpr(depth - 1)})"
        return f"(f64.{r.choice(_F64_BIN)} {self.fexpr(depth - 1)} {self.fexpr(depth - 1)})"

    def stmt(self, depth: int) -> str:
        r = self.r
        c = r.random()
        if c < 0.3 or depth <= 0:
            t = r.choice(["i32", "i64"])
            x = 2 if t == "i32" else 3
            return f"(local.set {x} {self.expr(t, 3)})"
        if c < 0.45:
            t = r.choice(["i32", "i64"])
            return f"({r.choice(_STORES[t])} {self.address()} {self.expr(t, 2)})"
        if c < 0.52:
            if r.random() < 0.5:
                return f"(global.set 0 {self.expr('i32', 2)})"
            return f"(global.set 1 {self.expr('i64', 2)})"
        if c < 0.62 and self.labels:
            return f"(br_if {r.randrange(self.labels)} {self.expr('i32', 2)})"
        body_len = r.randrange(1, 4)
        if c < 0.75:
            self.labels += 1
            body = " ".join(self.stmt(depth - 1) for _ in range(body_len))
            self.labels -= 1
            return f"(block {body})"
        if c < 0.87:
            self.labels += 1
            self.loops += 1
            body = " ".join(self.stmt(depth - 1) for _ in range(body_len))
            again = self.expr("i32", 1)
            self.loops -= 1
            self.labels -= 1
            return (
                "(loop (if (i32.eqz (local.get 4)) (then (return (i32.const -7))))"
                f" (local.set 4 (i32.sub (local.get 4) (i32.const 1))) {body}"
                f" (br_if 0 {again}))"
            )
        self.labels += 1
        then = " ".join(self.stmt(depth - 1) for _ in range(body_len))
        other = " ".join(self.stmt(depth - 1) for _ in range(r.randrange(0, 3)))
        self.labels -= 1
        return f"(if {self.expr('i32', 2)} (then {then}) (else {other}))"

    def function(self, k: int) -> str:
        self.func = k
        self.labels = 0
        body = " ".join(self.stmt(3) for _ in range(self.r.randrange(1, 5)))
        result = self.expr("i32", 3)
        return (
            f'(func $f{k} (export "f{k}") (type $sig) (local i32 i64 i32)'
            f" (local.set 4 (i32.const {FUEL})) {body} {result})"
        )

    def module(self) -> str:
        funcs = "\n".join(self.function(k) for k in range(FUNCS))
        elems = " ".join(f"$f{self.r.randrange(1, FUNCS)}" for _ in range(6))  # 6, 7: null
        data = "".join(f"\\{self.r.randrange(256):02x}" for _ in range(32))
        return (
            "(module\n"
            "(type $sig (func (param i32 i64) (result i32)))\n"
            '(memory (export "mem") 1 2)\n'
            f'(data (i32.const 0) "{data}")\n'
            "(table 8 funcref)\n"
            f"(elem (i32.const 0) {elems})\n"
            f"(global (mut i32) {self.const('i32')})\n"
            f"(global (mut i64) {self.const('i64')})\n"
            f"{funcs})"
        )


def random_module(seed: int) -> str:
    """The WAT of the random module for ``seed``."""
    return Generator(random.Random(seed)).module()


INPUTS = [(0, 0), (1, 1), (-1, -1), (7, 1 << 40), (65535, -(1 << 63)), (123456789, 3)]
