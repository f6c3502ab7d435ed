"""Reading the API's errors (RFC 9457 problem+json, api/errors.py) in tests."""

from __future__ import annotations

PROBLEM_KEYS = {"type", "title", "status", "detail", "errors"}


def problem(response, status: int | None = None) -> dict:
    """The problem body, after checking its media type and its required members."""
    if status is not None:
        assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == response.status_code
    return body


def fields(response) -> dict[str, list[str]]:
    """Messages by where they point: a body pointer (`/3/text`), a parameter or a header."""
    found: dict[str, list[str]] = {}
    for entry in problem(response)["errors"]:
        where = entry.get("pointer", entry.get("parameter", entry.get("header")))
        found.setdefault(where, []).append(entry["detail"])
    return found


def codes(response) -> dict[str, list[str]]:
    """Machine codes by where they point, as `fields` gives the messages."""
    found: dict[str, list[str]] = {}
    for entry in problem(response)["errors"]:
        where = entry.get("pointer", entry.get("parameter", entry.get("header")))
        found.setdefault(where, []).append(entry["code"])
    return found
