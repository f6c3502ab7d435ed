"""The API's JSON parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).

Python's json module accepts more than JSON, and more than the app can hold:
`NaN` and `Infinity`, numbers that overflow a float (`1e400`) or take
thousands of digits, nesting deep enough to exhaust the interpreter's stack
(a 500), and `\\u0000`, which PostgreSQL cannot store in a text column (a
500 wherever the string reaches a query). Each is refused here with a 400
that says what was wrong, before any serializer sees the data.
"""

from __future__ import annotations

import codecs
import math

from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

MAX_DEPTH = 64
MAX_INTEGER_DIGITS = 30
TOO_DEEP = f"The JSON is nested more than {MAX_DEPTH} levels deep."


class _Refused(ValueError):
    """Raised inside json.load for input the parser refuses; its message is the answer."""


def _refuse_constant(name: str):
    raise _Refused(f"{name} is not a JSON number.")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused(f"A number in the JSON has more than {MAX_INTEGER_DIGITS} digits.")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"A number in the JSON is out of range: {text[:40]}")
    return value


def check_parsed(data) -> None:
    """Refuse nesting deeper than MAX_DEPTH and NUL in any key or string (iteratively)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise _Refused("A string in the JSON contains the NUL character (\\u0000).")
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise _Refused(TOO_DEEP)
            if isinstance(value, dict):
                stack.extend((key, depth) for key in value)
                stack.extend((item, depth + 1) for item in value.values())
            else:
                stack.extend((item, depth + 1) for item in value)


def _too_deep(data) -> bool:
    """Whether the parsed document nests deeper than MAX_DEPTH; visits containers only.

    A 500-item ingest batch is ~500 containers among ~4,000 values: a tight
    loop over them takes well under a millisecond; walking every string as
    well would cost tens of times that.
    """
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        for child in value.values() if type(value) is dict else value:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
    return False


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing what the app cannot hold with a clear 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(
                text,
                parse_constant=_refuse_constant,
                parse_int=_parse_int,
                parse_float=_parse_float,
            )
            if type(data) in (dict, list) and _too_deep(data):
                raise _Refused(TOO_DEEP)
            # In JSON text a NUL can only be the escape \u0000 (a raw control
            # character is refused by the decoder): the strings are walked only
            # when the text has one.
            if "\\u0000" in text:
                check_parsed(data)
        except _Refused as exc:
            raise ParseError(str(exc)) from exc
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        return data
