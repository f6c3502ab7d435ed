"""The custom formula's evaluator: what it computes, and everything hostile it refuses."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roadmap.scoring.expression import (
    INPUTS,
    MAX_DEPTH,
    MAX_LENGTH,
    ExpressionError,
    parse,
)

VALUES = {name: float(n + 1) for n, name in enumerate(INPUTS)}  # reach 1, impact 2, ...


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("reach * impact * confidence / effort", 1 * 2 * 3 / 4),
        ("reach * impact * confidence / effort + 2 * business_value", 1 * 2 * 3 / 4 + 2 * 6),
        ("(business_value + time_criticality + risk_reduction) / job_size", (6 + 7 + 8) / 9),
        ("-reach + +impact", 1.0),
        ("1e3 * alignment", 10_000.0),
        ("  ease  ", 5.0),
        ("2 - 3 - 4", -5.0),  # left to right
        ("2 * (3 + 4)", 14.0),
        ("8 / 4 / 2", 1.0),
    ],
)
def test_formula_computes_arithmetic_over_the_named_inputs(text, expected):
    assert parse(text).evaluate(VALUES) == pytest.approx(expected)


def test_formula_reports_the_inputs_it_reads():
    assert parse("reach * ease / job_size").names == {"reach", "ease", "job_size"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the formula is empty"),
        ("   ", "the formula is empty"),
        ("reach +", "is not valid"),
        ("reach impact", "is not valid"),
        ("(reach", "is not valid"),
        ("revenue * 2", "unknown name 'revenue'"),
        ("__class__", "unknown name '__class__'"),
        ("__import__('os')", "a function call is not allowed"),
        ("reach.__class__", "attribute access is not allowed"),
        ("().__class__.__bases__[0]", "indexing is not allowed"),
        ("abs(reach)", "a function call is not allowed"),
        ("lambda: 1", "a lambda is not allowed"),
        ("reach[0]", "indexing is not allowed"),
        ("reach if ease else 1", "if/else is not allowed"),
        ("reach > 1", "a comparison is not allowed"),
        ("reach and ease", "and/or is not allowed"),
        ("reach ** 2", "powers"),
        ("9**9**9", "powers"),
        ("reach // 2", "that operator is not allowed"),
        ("reach % 2", "that operator is not allowed"),
        ("reach << 2", "that operator is not allowed"),
        ("~reach", "is not allowed"),
        ("'text'", "is not a number"),
        ("True", "is not a number"),
        ("1j", "is not a number"),
        ("1e400", "numbers in a formula are at most"),
        ("10000000000000", "numbers in a formula are at most"),
        ("[reach]", "is not allowed"),
        ("{reach: 1}", "is not allowed"),
        ("reach; ease", "is not valid"),
        ("reach\nimport os", "plain ASCII"),  # a newline is not printable
        (
            "\uff52\uff45\uff41\uff43\uff48",
            "plain ASCII",
        ),  # fullwidth letters (NFKC would read them as reach)
        ("reach\u200b", "plain ASCII"),  # zero-width space
        ("\uff32\uff25\uff21\uff23\uff28", "plain ASCII"),
        ("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1), "nests deeper"),
        ("(" * 10_000, "longer than"),
        ("1+" * 300 + "1", "longer than"),
        ("-" * 200 + "1", "too long a chain"),
        ("+".join(["1"] * 150), "too long a chain"),
    ],
)
def test_formula_refuses_hostile_or_bad_input_with_a_clear_error(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse(text)


@pytest.mark.parametrize(
    ("text", "values", "message"),
    [
        ("reach / (effort - effort)", VALUES, "division by zero"),
        ("1 / 0", VALUES, "division by zero"),
        ("reach / ease", {**VALUES, "ease": 0.0}, "division by zero"),
        (
            "reach" + " * 1e12" * 26,
            VALUES,
            "too large",
        ),
        ("reach * ease", {**VALUES, "ease": None}, "no value for ease"),
    ],
)
def test_evaluation_errors_are_clear(text, values, message):
    with pytest.raises(ExpressionError, match=message):
        parse(text).evaluate(values)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=MAX_LENGTH + 20))
def test_any_text_parses_or_fails_with_an_expression_error_only(text):
    try:
        expression = parse(text)
    except ExpressionError:
        return
    try:
        value = expression.evaluate(VALUES)
    except ExpressionError:
        return
    assert math.isfinite(value)


TOKENS = st.sampled_from(
    [
        *INPUTS,
        "1",
        "2.5",
        "1e12",
        "(",
        ")",
        "+",
        "-",
        "*",
        "/",
        "**",
        ".",
        "__class__",
        ",",
        "[",
        "]",
        "lambda",
        ":",
        "abs",
        " ",
        "9",
        "if",
        "else",
        "'",
        "@",
        "~",
        "%",
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.lists(TOKENS, max_size=60))
def test_token_soup_never_escapes_the_whitelist(tokens):
    """Hostile near-Python input: only ExpressionError ever comes out, and values stay finite."""
    try:
        value = parse("".join(tokens)).evaluate(VALUES)
    except ExpressionError:
        return
    assert math.isfinite(value)


def _trees():
    leaves = st.one_of(
        st.sampled_from(sorted(INPUTS)).map(lambda n: (n, VALUES[n])),
        st.integers(0, 1000).map(lambda n: (str(n), float(n))),
    )

    def extend(children):
        def combine(op, left, right):
            (lt, lv), (rt, rv) = left, right
            if lv is None or rv is None:  # a division by zero below
                return (f"({lt} {op} {rt})", None)
            if op == "+":
                return (f"({lt} + {rt})", lv + rv)
            if op == "-":
                return (f"({lt} - {rt})", lv - rv)
            if op == "*":
                return (f"({lt} * {rt})", lv * rv)
            return (f"({lt} / {rt})", None if rv == 0 else lv / rv)

        return st.builds(combine, st.sampled_from("+-*/"), children, children)

    return st.recursive(leaves, extend, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(_trees())
def test_random_formulas_evaluate_as_arithmetic_does(tree):
    # The reference value is computed beside the text: None where a division by zero occurs.
    text, expected = tree
    if len(text) > MAX_LENGTH:
        with pytest.raises(ExpressionError):
            parse(text)
        return
    expression = parse(text)
    if expected is None:
        with pytest.raises(ExpressionError):
            expression.evaluate(VALUES)
    else:
        assert expression.evaluate(VALUES) == pytest.approx(expected, rel=1e-9, abs=1e-9)
