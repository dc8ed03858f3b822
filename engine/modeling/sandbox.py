"""What scripts and expressions may not call by name: refused at deploy (`deploy --check`) in both.

The restricted script engine does not offer these at run time either; refusing them when a model is deployed
names the element instead of leaving an incident for later.
"""

from __future__ import annotations

import ast

FORBIDDEN_CALLS = frozenset(
    {
        "open", "compile", "globals", "locals", "vars", "getattr", "setattr", "delattr",
        "hasattr", "type", "dir", "input", "breakpoint", "help", "exit", "quit", "memoryview", "super",
        "object", "iter", "classmethod", "staticmethod", "property", "eval", "exec",
    }
)  # fmt: skip


def forbidden_call(python: str) -> str | None:
    """The first forbidden function an expression calls by name, or None (also for text that doesn't parse:
    the translation reports that)."""
    try:
        tree = ast.parse(python.replace("?", "dmninputexpr"), mode="eval")
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
            return node.func.id
    return None
