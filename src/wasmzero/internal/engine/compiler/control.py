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
- *wrapper*: a ``while True: ... break`` around the block (free in CPython
  3.11: a never-taken backward jump), so ``br`` is ``break``;
- *guard*: beyond CPython's limit of 20 statically nested loops, the block
  emits no loop; a branch sets the pending-label variable ``L`` and the code
  it skips is guarded by ``if not L:`` (flat, so nesting does not grow).

Branches that must leave several Python loops set ``L`` and ``break``; each
loop they cross re-dispatches on ``L`` after it ends. Loops always become
``while True:``.

See https://webassembly.github.io/spec/core/syntax/instructions.html#control-instructions
"""

from __future__ import annotations

from ...wasm.instructions import OP

BLOCK = OP["block"]
LOOP = OP["loop"]
IF = OP["if"]
ELSE = OP["else"]
END = OP["end"]
BR = OP["br"]
BR_IF = OP["br_if"]
BR_TABLE = OP["br_table"]
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


def analyse(body: list, block_results: dict[int, int]) -> dict[int, Node]:
    """Build the block tree of ``body``; returns start index -> Node, with the
    root (the function body) under key -1.

    ``block_results`` maps the index of each block/loop/if to its number of
    results.
    """
    root = Node(KIND_FUNC, -1, None, 0)
    nodes: dict[int, Node] = {-1: root}
    stack = [root]
    next_id = 1
    n = len(body)
    for i in range(n):
        op = body[i][0]
        if op == BLOCK or op == LOOP or op == IF:
            kind = KIND_BLOCK if op == BLOCK else KIND_LOOP if op == LOOP else KIND_IF
            node = Node(kind, i, stack[-1], next_id)
            node.has_results = block_results.get(i, 0) > 0
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
            stack[-1 - label].sites.append(stack[-1])
        elif op == BR_TABLE:
            labels, default = body[i][1]
            site = stack[-1]
            for label in set(labels) | {default}:
                stack[-1 - label].sites.append(site)
        elif op == LOCAL_SET or op == LOCAL_TEE:
            stack[-1].writes.add(body[i][1])
    for node in nodes.values():
        if node.kind in (KIND_BLOCK, KIND_IF) and node.sites:
            node.tailbreak = _tailbreak_ok(node)
    return nodes


def _tailbreak_ok(target: Node) -> bool:
    """Whether every branch to ``target`` can be a bare ``break`` of an inner
    loop whose exit falls through to ``target``'s end."""
    if target.has_results:
        return False
    for site in target.sites:
        node = site
        # Up to the innermost wasm loop: only untargeted non-loop blocks,
        # which lower to no Python loop.
        while node is not target and node.kind != KIND_LOOP:
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
