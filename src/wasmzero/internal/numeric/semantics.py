"""The semantics of the scalar numeric instructions as Python expression
templates.

``SEMANTICS[name]`` is a :class:`Sem` whose ``expr`` is a template for
``str.format``: ``{0}`` and ``{1}`` are the operands in wasm order (``{0}``
pushed first), each an atom or a parenthesized Python expression. Templates
use only the builtins ``len``, ``int``, ``float``, ``abs`` and ``bool``, method
calls on operands, and the ``_n_*`` helpers of ``runtime.HELPERS``. An operand
appears more than once only where needed (the caller then materializes it).

``cond`` (comparisons and ``eqz``) is an equivalent Python boolean template,
for use in branches. ``may_trap`` marks templates that can raise a ``Trap``.
``raw`` (integer ``add``, ``sub``, ``mul``, ``shl``) is the result before its
final wrap to the type's width: its low bits are right whenever the low bits
of the operands are, so an engine may feed it operands that are not wrapped
yet either and wrap once at the end of a chain.

Values follow ``bits.py``: i32/i64 unsigned ints, f32/f64 floats.
"""

from __future__ import annotations

from ..record import record


@record(frozen=True)
class Sem:
    expr: str
    may_trap: bool = False
    cond: str | None = None
    raw: str | None = None


SEMANTICS: dict[str, Sem] = {}


def _cmp(name: str, cond: str) -> None:
    SEMANTICS[name] = Sem(f"1 if {cond} else 0", False, cond)


def _int_ops(t: str, bits: int) -> None:
    m = hex((1 << bits) - 1).upper().replace("0X", "0x")
    s = hex(1 << (bits - 1)).upper().replace("0X", "0x")
    k = bits - 1  # shift count mask
    S = SEMANTICS

    S[f"{t}.eqz"] = Sem("0 if {0} else 1", False, "{0} == 0")
    _cmp(f"{t}.eq", "{0} == {1}")
    _cmp(f"{t}.ne", "{0} != {1}")
    _cmp(f"{t}.lt_u", "{0} < {1}")
    _cmp(f"{t}.gt_u", "{0} > {1}")
    _cmp(f"{t}.le_u", "{0} <= {1}")
    _cmp(f"{t}.ge_u", "{0} >= {1}")
    # Flipping the sign bit maps the signed order onto the unsigned one.
    _cmp(f"{t}.lt_s", f"({{0}} ^ {s}) < ({{1}} ^ {s})")
    _cmp(f"{t}.gt_s", f"({{0}} ^ {s}) > ({{1}} ^ {s})")
    _cmp(f"{t}.le_s", f"({{0}} ^ {s}) <= ({{1}} ^ {s})")
    _cmp(f"{t}.ge_s", f"({{0}} ^ {s}) >= ({{1}} ^ {s})")

    S[f"{t}.clz"] = Sem(f"{bits} - ({{0}}).bit_length()")
    S[f"{t}.ctz"] = Sem(f"(({{0}} & -{{0}}).bit_length() - 1 if {{0}} else {bits})")
    S[f"{t}.popcnt"] = Sem("({0}).bit_count()")

    S[f"{t}.add"] = Sem(f"({{0}} + {{1}}) & {m}", raw="{0} + {1}")
    S[f"{t}.sub"] = Sem(f"({{0}} - {{1}}) & {m}", raw="{0} - {1}")
    S[f"{t}.mul"] = Sem(f"({{0}} * {{1}}) & {m}", raw="{0} * {1}")
    S[f"{t}.div_s"] = Sem(f"_n_{t}_div_s({{0}}, {{1}})", True)
    S[f"{t}.div_u"] = Sem("{0} // ({1} or _n_div0())", True)
    S[f"{t}.rem_s"] = Sem(f"_n_{t}_rem_s({{0}}, {{1}})", True)
    S[f"{t}.rem_u"] = Sem("{0} % ({1} or _n_div0())", True)
    S[f"{t}.and"] = Sem("{0} & {1}")
    S[f"{t}.or"] = Sem("{0} | {1}")
    S[f"{t}.xor"] = Sem("{0} ^ {1}")
    S[f"{t}.shl"] = Sem(f"({{0}} << ({{1}} & {k})) & {m}", raw=f"{{0}} << ({{1}} & {k})")
    S[f"{t}.shr_s"] = Sem(f"((({{0}} ^ {s}) - {s}) >> ({{1}} & {k})) & {m}")
    S[f"{t}.shr_u"] = Sem(f"{{0}} >> ({{1}} & {k})")
    # Rotations: the operand times 2**bits + 1 is two copies of it side by
    # side, and a rotation right by r is their bits r.. r + bits - 1: one
    # multiply and one shift (a third cheaper than two shifts and an or).
    # ``raw`` needs the operand wrapped; its bits above ``bits`` are noise.
    twice = (1 << bits) + 1
    S[f"{t}.rotl"] = Sem(
        f"(({{0}} * {twice}) >> (-{{1}} & {k})) & {m}",
        raw=f"({{0}} * {twice}) >> (-{{1}} & {k})",
    )
    S[f"{t}.rotr"] = Sem(
        f"(({{0}} * {twice}) >> ({{1}} & {k})) & {m}",
        raw=f"({{0}} * {twice}) >> ({{1}} & {k})",
    )

    S[f"{t}.extend8_s"] = Sem(f"((({{0}} & 0xFF) ^ 0x80) - 0x80) & {m}")
    S[f"{t}.extend16_s"] = Sem(f"((({{0}} & 0xFFFF) ^ 0x8000) - 0x8000) & {m}")


def _float_ops(t: str) -> None:
    S = SEMANTICS
    f32 = t == "f32"

    _cmp(f"{t}.eq", "{0} == {1}")
    _cmp(f"{t}.ne", "{0} != {1}")
    _cmp(f"{t}.lt", "{0} < {1}")
    _cmp(f"{t}.gt", "{0} > {1}")
    _cmp(f"{t}.le", "{0} <= {1}")
    _cmp(f"{t}.ge", "{0} >= {1}")

    # Pure sign-bit operations: NaN payloads are kept.
    S[f"{t}.abs"] = Sem("abs({0})")
    S[f"{t}.neg"] = Sem("-{0}")
    S[f"{t}.copysign"] = Sem("_n_copysign({0}, {1})")
    # Results of these are integral values of the input's format.
    S[f"{t}.ceil"] = Sem("_n_fceil({0})")
    S[f"{t}.floor"] = Sem("_n_ffloor({0})")
    S[f"{t}.trunc"] = Sem("_n_ftrunc({0})")
    S[f"{t}.nearest"] = Sem("_n_fnearest({0})")
    # min/max return one of the operands or a quiet NaN: no rounding needed.
    S[f"{t}.min"] = Sem("_n_fmin({0}, {1})")
    S[f"{t}.max"] = Sem("_n_fmax({0}, {1})")
    if f32:
        # Exact in double, then rounded once to f32 (innocuous double rounding).
        # (sqrt and div: the common case inline, the helper for the rest)
        S["f32.sqrt"] = Sem("_n_r32(_n_sqrt({0})) if {0} >= 0.0 else _n_f32_sqrt({0})")
        S["f32.add"] = Sem("_n_r32({0} + {1})")
        S["f32.sub"] = Sem("_n_r32({0} - {1})")
        S["f32.mul"] = Sem("_n_r32({0} * {1})")
        S["f32.div"] = Sem("_n_r32({0} / {1}) if {1} else _n_f32_div({0}, {1})")
    else:
        S["f64.sqrt"] = Sem("_n_sqrt({0}) if {0} >= 0.0 else _n_fsqrt({0})")
        S["f64.add"] = Sem("{0} + {1}")
        S["f64.sub"] = Sem("{0} - {1}")
        S["f64.mul"] = Sem("{0} * {1}")
        S["f64.div"] = Sem("{0} / {1} if {1} else _n_fdiv({0}, {1})")


_int_ops("i32", 32)
_int_ops("i64", 64)
_float_ops("f32")
_float_ops("f64")

SEMANTICS.update(
    {
        "i32.wrap_i64": Sem("{0} & 0xFFFFFFFF"),
        "i64.extend_i32_s": Sem("(({0} ^ 0x80000000) - 0x80000000) & 0xFFFFFFFFFFFFFFFF"),
        "i64.extend_i32_u": Sem("{0}"),
        "i64.extend32_s": Sem(
            "((({0} & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000) & 0xFFFFFFFFFFFFFFFF"
        ),
        # Trapping float -> int truncations (an f32 is a float too).
        "i32.trunc_f32_s": Sem("_n_trunc_i32_s({0})", True),
        "i32.trunc_f32_u": Sem("_n_trunc_i32_u({0})", True),
        "i32.trunc_f64_s": Sem("_n_trunc_i32_s({0})", True),
        "i32.trunc_f64_u": Sem("_n_trunc_i32_u({0})", True),
        "i64.trunc_f32_s": Sem("_n_trunc_i64_s({0})", True),
        "i64.trunc_f32_u": Sem("_n_trunc_i64_u({0})", True),
        "i64.trunc_f64_s": Sem("_n_trunc_i64_s({0})", True),
        "i64.trunc_f64_u": Sem("_n_trunc_i64_u({0})", True),
        # Saturating truncations.
        "i32.trunc_sat_f32_s": Sem("_n_trunc_sat_i32_s({0})"),
        "i32.trunc_sat_f32_u": Sem("_n_trunc_sat_i32_u({0})"),
        "i32.trunc_sat_f64_s": Sem("_n_trunc_sat_i32_s({0})"),
        "i32.trunc_sat_f64_u": Sem("_n_trunc_sat_i32_u({0})"),
        "i64.trunc_sat_f32_s": Sem("_n_trunc_sat_i64_s({0})"),
        "i64.trunc_sat_f32_u": Sem("_n_trunc_sat_i64_u({0})"),
        "i64.trunc_sat_f64_s": Sem("_n_trunc_sat_i64_s({0})"),
        "i64.trunc_sat_f64_u": Sem("_n_trunc_sat_i64_u({0})"),
        # int -> float: float(int) is exact below 2**53 and correctly rounded
        # above; i64 -> f32 needs care to round only once.
        "f32.convert_i32_s": Sem("_n_r32(float(({0} ^ 0x80000000) - 0x80000000))"),
        "f32.convert_i32_u": Sem("_n_r32(float({0}))"),
        "f32.convert_i64_s": Sem("_n_f32_convert_s64({0})"),
        "f32.convert_i64_u": Sem("_n_f32_convert_u64({0})"),
        "f64.convert_i32_s": Sem("float(({0} ^ 0x80000000) - 0x80000000)"),
        "f64.convert_i32_u": Sem("float({0})"),
        "f64.convert_i64_s": Sem("float(({0} ^ 0x8000000000000000) - 0x8000000000000000)"),
        "f64.convert_i64_u": Sem("float({0})"),
        # demote rounds like f32 arithmetic (NaN: top payload bits kept, quieted);
        # promote is exact; "* 1.0" keeps -0.0 and quiets a NaN.
        "f32.demote_f64": Sem("_n_r32({0})"),
        "f64.promote_f32": Sem("{0} * 1.0"),
        "i32.reinterpret_f32": Sem("_n_f32_to_bits({0})"),
        "f32.reinterpret_i32": Sem("_n_f32_from_bits({0})"),
        "i64.reinterpret_f64": Sem("_n_unpack_Q(_n_pack_d({0}))[0]"),
        "f64.reinterpret_i64": Sem("_n_unpack_d(_n_pack_Q({0}))[0]"),
    }
)
