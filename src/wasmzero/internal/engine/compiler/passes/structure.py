"""Structured control flow: the pre-pass that decides how each wasm block is
lowered to Python.

WebAssembly's ``block``/``loop``/``if`` with ``br`` to any enclosing label
has no direct Python equivalent: Python's ``break``/``continue`` only leave
the innermost loop. This pass builds the tree of blocks of one function body
and records, for every block, which branches target it and from where, so
the translator can choose for each block the cheapest lowering:

- *plain*: nothing targets it, the block emits no Python structure;
- *tail-break*: every branch to it leaves an inner wasm loop whose end is at
  the block's end (``block { loop { br_if 1 ... } }``, the shape compilers
  emit for ``while`` loops), so a bare ``break`` of that loop suffices;
- *nested*: every branch to it is a ``br``/``br_if`` directly in its body
  (the shape of C's ``if``/``else`` and ``&&``): ``br_if`` becomes
  ``if not cond:`` around the rest of the body, ``br`` ends it; no loop,
  so branches to outer blocks cross one Python loop fewer;
- *wrapper*: a ``while True: ... break`` around the block (free in CPython
  3.11: a never-taken backward jump), so ``br`` is ``break``; chosen when
  every branch to the block leaves no other Python loop;
- *guard*: otherwise (and beyond CPython's limit of 20 statically nested
  loops), the block emits no loop; a branch sets the pending-label variable
  ``L`` and the code it skips is guarded by ``if not L:`` (flat, so nesting
  does not grow). Measured against wrappers everywhere: no cascade of
  ``if L:`` dispatches after every loop a branch leaves.

Branches that must leave several Python loops set ``L`` and ``break``; each
loop they cross re-dispatches on ``L`` after it ends. Loops always become
``while True:``.

See https://webassembly.github.io/spec/core/syntax/instructions.html#control-instructions
"""

from __future__ import annotations

from ....wasm.instructions import OP

BLOCK = OP["block"]
LOOP = OP["loop"]
IF = OP["if"]
ELSE = OP["else"]
END = OP["end"]
BR = OP["br"]
BR_IF = OP["br_if"]
BR_TABLE = OP["br_table"]
RETURN = OP["return"]
UNREACHABLE = OP["unreachable"]
_TERMINAL = (BR, BR_TABLE, RETURN, UNREACHABLE)
LOCAL_SET = OP["local.set"]
LOCAL_TEE = OP["local.tee"]

KIND_FUNC = 0
KIND_BLOCK = 1
KIND_LOOP = 2
KIND_IF = 3


class Node:
    """One block of the function body (the body itself is the root)."""

    __slots__ = (
        "kind",
        "start",
        "end",
        "parent",
        "sites",
        "tail",
        "writes",
        "has_results",
        "tailbreak",
        "id",
        "empty",
        "case",
        "direct",
        "nest",
        "direct_break",
        "crossed",
    )

    def __init__(self, kind: int, start: int, parent: Node | None, node_id: int) -> None:
        self.kind = kind
        self.start = start
        self.end = -1
        self.parent = parent
        # Innermost node containing each branch that targets this node.
        self.sites: list[Node] = []
        # The instruction after our `end` is the parent's `end` or `else`.
        self.tail = False
        # Local indices written (local.set/tee) anywhere inside.
        self.writes: set[int] = set()
        self.has_results = False
        self.tailbreak = False
        self.id = node_id
        self.empty = False  # block type [] -> []
        self.case = False  # a case block of a lowered switch (see find_switches)
        self.direct = 0  # how many br/br_if target this block
        # Every branch to it is a br/br_if in its own body (not nested):
        # `br_if` lowers to `if not cond:` around the rest of the body.
        self.nest = False
        # Every branch to it reaches it without leaving a Python loop, so a
        # `while True` wrapper turns each into a bare `break`.
        self.direct_break = False
        # Branches from inside to loops around it (``continue``s that a
        # Python loop for this block would turn into flag and dispatch).
        self.crossed = 0


def analyse(
    body: list, block_types: dict[int, tuple[int, int]]
) -> tuple[dict[int, Node], dict[int, list[Node]]]:
    """Build the block tree of ``body``: returns start index -> Node (the
    root, the function body, under key -1), and the switch chains by the
    index of their ``br_table`` (see :func:`_switch_chain`).

    ``block_types`` maps the index of each block/loop/if to its numbers of
    params and results.
    """
    root = Node(KIND_FUNC, -1, None, 0)
    nodes: dict[int, Node] = {-1: root}
    stack = [root]
    tables: list[tuple[int, Node]] = []
    next_id = 1
    n = len(body)
    for i in range(n):
        op = body[i][0]
        if op == BLOCK or op == LOOP or op == IF:
            kind = KIND_BLOCK if op == BLOCK else KIND_LOOP if op == LOOP else KIND_IF
            node = Node(kind, i, stack[-1], next_id)
            np, nr = block_types[i]
            node.has_results = nr > 0
            node.empty = np == 0 and nr == 0
            next_id += 1
            nodes[i] = node
            stack.append(node)
        elif op == END:
            node = stack.pop()
            node.end = i
            if stack:
                parent = stack[-1]
                parent.writes |= node.writes
                if i + 1 < n and body[i + 1][0] in (END, ELSE):
                    node.tail = True
        elif op == BR or op == BR_IF:
            label = body[i][1]
            target = stack[-1 - label]
            target.sites.append(stack[-1])
            target.direct += 1
            if target.kind == KIND_LOOP:
                for k in range(1, label + 1):
                    stack[-k].crossed += 1
        elif op == BR_TABLE:
            labels, default = body[i][1]
            site = stack[-1]
            tables.append((i, site))
            for label in set(labels) | {default}:
                stack[-1 - label].sites.append(site)
        elif op == LOCAL_SET or op == LOCAL_TEE:
            stack[-1].writes.add(body[i][1])
    switches = {}
    for i, site in tables:
        chain = _switch_chain(body, i, site)
        if chain:
            switches[i] = chain
            for node in chain[:-1]:
                node.case = True
    in_switch = {id(node) for chain in switches.values() for node in chain}
    for node in nodes.values():
        if node.kind in (KIND_BLOCK, KIND_IF) and node.sites and not node.case:
            if (
                not node.has_results
                and node.direct == len(node.sites)
                and id(node) not in in_switch
                and all(site is node for site in node.sites)
            ):
                node.nest = True
            else:
                node.tailbreak = _tailbreak_ok(node)
    for node in nodes.values():
        if node.sites and not node.nest and not node.tailbreak and not node.case:
            # A wrapper loop makes each branch to the block a bare break,
            # and each branch across it to an outer loop a flag and a
            # dispatch: the block takes a guard instead where those are more.
            node.direct_break = node.crossed <= len(node.sites) and all(
                _no_loop_between(site, node) for site in node.sites
            )
    return nodes, switches


def _switch_chain(body: list, i: int, b0: Node) -> list[Node] | None:
    """The shape C compilers emit for ``switch``::

        block $B_m ... block $B_1
          block $B_0  ...  br_table $B_0 $B_1 ...  end   ;; dispatch
          code_1 (ends with br/return/unreachable)  end   ;; case for $B_0
          ...
          code_m (ends likewise)                    end   ;; case for $B_m-1

    Returns ``[B_0, ..., B_m]`` when the ``br_table`` at ``i`` (the last
    instruction of ``B_0``) heads such a chain of at least two case blocks
    that nothing else targets; the translator then emits an if-tree with the
    case code inline instead of ``m`` nested loops.
    """
    if b0.kind != KIND_BLOCK or not b0.empty or b0.end != i + 1:
        return None
    chain = [b0]
    while True:
        cur = chain[-1]
        par = cur.parent
        if par is None or par.kind != KIND_BLOCK or not par.empty or cur.start != par.start + 1:
            break
        if cur.end + 1 == par.end or body[par.end - 1][0] not in _TERMINAL:
            break
        chain.append(par)
    # Case blocks are targeted by this br_table only.
    for k, node in enumerate(chain[:-1]):
        if node.direct or (node.sites and (len(node.sites) != 1 or node.sites[0] is not b0)):
            chain = chain[: k + 1]
            break
    if len(chain) < 3:
        return None
    return chain


def _no_loop_between(site: Node, target: Node) -> bool:
    """Whether the nodes from ``site`` up to ``target`` (excluded) all lower
    to no Python loop: untargeted blocks and loops, nested-if blocks, the
    case blocks of a switch."""
    node = site
    while node is not target:
        if node.sites and not node.nest and not node.case:
            return False
        node = node.parent  # type: ignore[assignment]
    return True


def _tailbreak_ok(target: Node) -> bool:
    """Whether every branch to ``target`` can be a bare ``break`` of an inner
    loop whose exit falls through to ``target``'s end."""
    if target.has_results:
        return False
    for site in target.sites:
        node = site
        # Up to the innermost wasm loop that is branched to (a Python loop):
        # only untargeted blocks, which lower to no Python loop.
        while node is not target and not (node.kind == KIND_LOOP and node.sites):
            if node.sites:
                return False
            node = node.parent
        if node is target:
            return False
        # From that loop up to the target: a chain of tail positions with no
        # results, so leaving the loop reaches the target's end and runs no
        # code on the way.
        while node is not target:
            if not node.tail or node.has_results:
                return False
            node = node.parent
    return True
