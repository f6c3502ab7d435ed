"""A custom scoring formula: a small arithmetic language, parsed and evaluated safely.

The grammar (docs/SCORING.md):

    expression := term (("+" | "-") term)*
    term       := factor (("*" | "/") factor)*
    factor     := ("+" | "-") factor | number | name | "(" expression ")"
    number     := digits ["." digits]  (also 1e3)
    name       := one of INPUTS

Python's own parser reads the text (`ast.parse(mode="eval")`) and every node
is checked against a short whitelist before anything runs: no attribute, no
call, no subscript, no power, no comparison, no name outside INPUTS. The tree
is then compiled into nested closures; user text is never given to `eval` or
`compile`. Limits keep any input cheap: ASCII only, at most MAX_LENGTH
characters, MAX_DEPTH levels of brackets, MAX_OPERATIONS_DEEP operations
applied one to the result of another, and every intermediate value finite
(division by zero is an error, never infinity).
"""

from __future__ import annotations

import ast
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .policy import ScoringError

# The names a formula may use, with what each means.
INPUTS: dict[str, str] = {
    "reach": "people or events per quarter (by hand or from evidence)",
    "impact": "RICE impact: 0.25, 0.5, 1, 2 or 3",
    "confidence": "percent, more than 0 and at most 100",
    "effort": "person-months",
    "ease": "ICE ease, 1 to 10",
    "business_value": "WSJF user-business value (1, 2, 3, 5, 8, 13, 20)",
    "time_criticality": "WSJF time criticality (1, 2, 3, 5, 8, 13, 20)",
    "risk_reduction": "WSJF risk reduction / opportunity enablement (1, 2, 3, 5, 8, 13, 20)",
    "job_size": "WSJF job size (1, 2, 3, 5, 8, 13, 20)",
    "alignment": "the alignment score (sum of the key-result terms)",
}
MAX_LENGTH = 500
MAX_DEPTH = 30  # brackets inside brackets
MAX_OPERATIONS_DEEP = 100  # operators applied to the results of others (a + b + c: 2)
MAX_CONSTANT = 1e12

_BINARY: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class ExpressionError(ScoringError):
    """A formula that cannot be used, or cannot be evaluated with these values."""


@dataclass(frozen=True)
class Expression:
    """A parsed formula: `evaluate(values)` gives its value; `names` are the inputs it reads."""

    text: str
    names: frozenset[str]
    _run: Callable[[Mapping[str, float]], float]

    def evaluate(self, values: Mapping[str, float]) -> float:
        missing = sorted(name for name in self.names if values.get(name) is None)
        if missing:
            raise ExpressionError(f"no value for {', '.join(missing)}")
        return self._run(values)


def parse(text: str) -> Expression:
    """Parse `text` into an Expression, or raise ExpressionError saying what is wrong."""
    if not isinstance(text, str):
        raise ExpressionError("the formula must be text")
    if not text.strip():
        raise ExpressionError("the formula is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the formula is longer than {MAX_LENGTH} characters")
    if not text.isascii() or not text.isprintable():
        raise ExpressionError("the formula may use only plain ASCII characters")
    # Counted before parsing: Python's parser has its own, higher, limits.
    depth = 0
    for char in text:
        depth += char == "("
        depth -= char == ")"
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the formula nests deeper than {MAX_DEPTH} levels")
    try:
        # Python warns about some odd spellings it still accepts ("1if"); the
        # whitelist below rejects whatever they parse to, so the warning is noise.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise ExpressionError(
            "the formula is not valid: use numbers, input names, + - * / and brackets"
        ) from None
    names: set[str] = set()
    run = _compile(tree.body, names, 0)
    return Expression(text=text, names=frozenset(names), _run=run)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ExpressionError("the formula's value is too large")
    return value


def _compile(node: ast.AST, names: set[str], depth: int) -> Callable[[Mapping], float]:
    if depth > MAX_OPERATIONS_DEEP:
        raise ExpressionError(
            f"the formula is too long a chain: at most {MAX_OPERATIONS_DEEP} operations deep"
        )
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ExpressionError(f"{value!r} is not a number")
        if not math.isfinite(value) or abs(value) > MAX_CONSTANT:
            raise ExpressionError(f"numbers in a formula are at most {MAX_CONSTANT:g}")
        number = float(value)
        return lambda values: number
    if isinstance(node, ast.Name):
        name = node.id
        if name not in INPUTS:
            raise ExpressionError(f"unknown name {name!r}; use one of {', '.join(INPUTS)}")
        names.add(name)
        return lambda values: float(values[name])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _compile(node.operand, names, depth + 1)
        if isinstance(node.op, ast.USub):
            return lambda values: -operand(values)
        return operand
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left = _compile(node.left, names, depth + 1)
        right = _compile(node.right, names, depth + 1)
        op = type(node.op)
        if op is ast.Add:
            return lambda values: _finite(left(values) + right(values))
        if op is ast.Sub:
            return lambda values: _finite(left(values) - right(values))
        if op is ast.Mult:
            return lambda values: _finite(left(values) * right(values))

        def divide(values: Mapping) -> float:
            divisor = right(values)
            if divisor == 0:
                raise ExpressionError("division by zero")
            return _finite(left(values) / divisor)

        return divide
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        raise ExpressionError("powers (**) are not allowed; multiply instead")
    raise ExpressionError(f"{_describe(node)} is not allowed in a formula")


def _describe(node: ast.AST) -> str:
    kinds = {
        ast.Attribute: "attribute access",
        ast.Call: "a function call",
        ast.Subscript: "indexing",
        ast.Lambda: "a lambda",
        ast.Compare: "a comparison",
        ast.BoolOp: "and/or",
        ast.IfExp: "if/else",
    }
    for kind, words in kinds.items():
        if isinstance(node, kind):
            return words
    if isinstance(node, ast.BinOp):
        return "that operator"
    return type(node).__name__
