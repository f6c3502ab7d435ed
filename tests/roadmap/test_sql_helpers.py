"""The COPY text-format helpers the bulk writes share."""

from roadmap.services.sql import copy_escape, copy_line


def test_copy_escape_escapes_backslash_tab_newline_and_return_once_each():
    assert copy_escape("plain") == "plain"
    assert copy_escape("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"
    # An escape sequence already in the text is text: its backslash is doubled.
    assert copy_escape("\\t \\N") == "\\\\t \\\\N"


def test_copy_line_writes_null_escaped_text_and_plain_values():
    assert copy_line([None, "x\ty", 3, 1.5, True]) == "\\N\tx\\ty\t3\t1.5\tTrue\n"
