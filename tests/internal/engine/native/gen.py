"""Random valid modules within what the native engine compiles (i32/i64
numerics, locals, block/loop/if/br/br_if/br_table, select, direct calls),
written as WAT from one ``random.Random`` so a seed reproduces a module.
Loops are bounded by a fuel local; calls only go to lower-numbered
functions, so every call terminates."""

from __future__ import annotations

import random

_BIN = ["add", "sub", "mul", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"]
_BIN += ["div_s", "div_u", "rem_s", "rem_u"]
_CMP = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]
_UN = ["clz", "ctz", "popcnt", "eqz", "extend8_s", "extend16_s"]
FUNCS = 4
INPUTS = [(0, 0), (1, 1), (-1, -1), (7, -3), (0x7FFFFFFF, -(1 << 63)), (-(1 << 31), 123456789012)]
_OFFSETS = [0, 1, 3, 65530, 0xFFFFFFFF]
_LOADS = {
    "i32": ["i32.load", "i32.load8_s", "i32.load8_u", "i32.load16_s", "i32.load16_u"],
    "i64": [
        "i64.load",
        "i64.load8_s",
        "i64.load8_u",
        "i64.load16_s",
        "i64.load16_u",
        "i64.load32_s",
        "i64.load32_u",
    ],
}
_STORES = {
    "i32": ["i32.store", "i32.store8", "i32.store16"],
    "i64": ["i64.store", "i64.store8", "i64.store16", "i64.store32"],
}
_CONSTS = [0, 1, -1, 2, 31, 32, 63, 64, 0x7FFFFFFF, -(1 << 31), 0xFFFF, 12345]


class _Gen:
    def __init__(self, rnd: random.Random, func: int) -> None:
        self.r = rnd
        self.func = func

    def expr(self, t: str, depth: int) -> str:
        r = self.r
        if depth <= 0 or r.random() < 0.2:
            k = r.randrange(3)
            if k == 0:
                return f"({t}.const {r.choice(_CONSTS)})"
            return f"(local.get {(0 if t == 'i32' else 1) if k == 1 else (2 if t == 'i32' else 3)})"
        c = r.randrange(13)
        d = depth - 1
        if c < 4:
            return f"({t}.{r.choice(_BIN)} {self.expr(t, d)} {self.expr(t, d)})"
        if c == 4:
            o = "i64" if t == "i32" else "i32"
            return (
                f"(i32.{r.choice(_CMP)} {self.expr(t, d)} {self.expr(t, d)})"
                if t == "i32"
                else (
                    f"(i64.extend_i32_{r.choice('su')} (i32.{r.choice(_CMP)} ({o}.const 3) {self.expr(o, d)}))"
                )
            )
        if c == 5:
            op = r.choice(_UN)
            if op == "eqz":
                return (
                    f"(i32.eqz {self.expr('i32', d)})"
                    if t == "i32"
                    else f"(i64.extend_i32_u (i64.eqz {self.expr('i64', d)}))"
                )
            return f"({t}.{op} {self.expr(t, d)})"
        if c == 6:
            if t == "i32":
                return f"(i32.wrap_i64 {self.expr('i64', d)})"
            return f"(i64.extend_i32_{r.choice('su')} {self.expr('i32', d)})"
        if c == 7:
            return f"(select {self.expr(t, d)} {self.expr(t, d)} {self.expr('i32', d)})"
        if c == 8:
            return f"(if (result {t}) {self.expr('i32', d)} (then {self.expr(t, d)}) (else {self.expr(t, d)}))"
        if c == 9:
            return (
                f"(block (result {t}) (br_if 0 {self.expr(t, d)} {self.expr('i32', d)}) "
                f"(drop) {self.expr(t, d)})"
            )
        if c == 10 and self.func > 0:
            callee = r.randrange(self.func)
            v = f"(call $f{callee} {self.expr('i32', d)} {self.expr('i64', d)})"
            return v if t == "i32" else f"(i64.extend_i32_s {v})"
        if c == 12 and r.random() < 0.3:
            return f"(global.get {0 if t == 'i32' else 1})"
        if c == 11:
            op = r.choice(_LOADS[t])
            return f"({op} offset={r.choice(_OFFSETS)} {self.addr(d)})"
        return f"(local.tee {2 if t == 'i32' else 3} {self.expr(t, d)})"

    def addr(self, depth: int) -> str:
        """Mostly in bounds, sometimes not (a trap)."""
        if self.r.random() < 0.8:
            return f"(i32.and {self.expr('i32', depth)} (i32.const 0xFFFF))"
        return self.expr("i32", depth)

    def stmt(self, depth: int) -> str:
        r = self.r
        c = r.randrange(5)
        if c == 0:
            return f"(local.set 2 {self.expr('i32', depth)})"
        if c == 1:
            return f"(local.set 3 {self.expr('i64', depth)})"
        if c == 2:
            body = (
                " ".join(self.stmt(depth - 1) for _ in range(r.randrange(1, 3)))
                if depth > 0
                else ""
            )
            return (
                f"(block $b (loop $l (br_if $b (i32.eqz (local.get 4))) "
                f"(local.set 4 (i32.sub (local.get 4) (i32.const 1))) {body} "
                f"(br_if $l {self.expr('i32', 1)})))"
            )
        if c == 3 and r.random() < 0.2:
            t = r.choice(("i32", "i64"))
            return f"(global.set {0 if t == 'i32' else 1} {self.expr(t, depth)})"
        if c == 3 and r.random() < 0.5:
            t = r.choice(("i32", "i64"))
            op = r.choice(_STORES[t])
            return f"({op} offset={r.choice(_OFFSETS)} {self.addr(depth)} {self.expr(t, depth)})"
        if c == 3:
            return (
                f"(block $x (block $y (block $z (br_table $x $y $z {self.expr('i32', depth)})) "
                f"(local.set 2 (i32.const 5))) (local.set 3 (i64.const 7)))"
            )
        return f"(if {self.expr('i32', depth)} (then (local.set 2 {self.expr('i32', depth)})))"


def random_module(seed: int) -> str:
    r = random.Random(seed)
    funcs = []
    for f in range(FUNCS):
        g = _Gen(r, f)
        body = " ".join(g.stmt(3) for _ in range(r.randrange(1, 4)))
        funcs.append(
            f'(func $f{f} (export "f{f}") (param i32 i64) (result i32) (local i32 i64 i32)\n'
            f"  (local.set 4 (i32.const 20)) {body}\n"
            f"  (i32.add {g.expr('i32', 3)} (i32.wrap_i64 (local.get 3))))"
        )
    head = (
        '(module (memory (export "memory") 1)\n'
        '(global (export "g0") (mut i32) (i32.const 5)) (global (mut i64) (i64.const -9))\n'
    )
    return head + "\n".join(funcs) + ")"
