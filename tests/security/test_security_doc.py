"""docs/SECURITY.md names a test for each threat: every one it names must exist."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = re.compile(r"(tests/[\w/]+\.py)?::(test_\w+)")


def _references() -> list[tuple[str, str]]:
    text = (ROOT / "docs" / "SECURITY.md").read_text()
    found, current = [], None
    for match in REFERENCE.finditer(text):
        current = match.group(1) or current
        found.append((current, match.group(2)))
    return found


def _tests_in(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text())
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def test_every_test_the_threat_model_names_exists():
    references = _references()
    assert len(references) >= 60
    missing = [f"{path}::{name}" for path, name in references if name not in _tests_in(path)]
    assert missing == []
