"""CSV exports: exact content, the page's filters, and formula injection defused."""

import csv
import io
from decimal import Decimal

import pytest

from roadmap.csv_export import escape_cell
from tests.alignment.conftest import Q4
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_with_a_formula_character_gets_an_apostrophe(prefix):
    assert escape_cell(f"{prefix}SUM(A1:A9)") == f"'{prefix}SUM(A1:A9)"


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("Plain title", "Plain title"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (-0.123456, -0.1235),
        (3, 3),
        (Decimal("-5.00"), Decimal("-5.00")),
    ],
)
def test_other_cells_are_written_as_they_are(value, written):
    assert escape_cell(value) == written


def test_matrix_csv_has_a_row_per_objective_and_key_result_and_totals(
    client, world, marketing_user
):
    client.force_login(marketing_user)
    response = client.get("/alignment/export/matrix.csv", {"period": Q4})
    assert response["Content-Disposition"] == (
        'attachment; filename="alignment-matrix-2026_Q4.csv"'
    )
    assert _csv(response) == [
        [
            "Type",
            "Objective",
            "Key result",
            "Period",
            "Progress",
            "A",
            "B",
            "C",
            "Total weight",
            "Links",
        ],
        ["Objective", "Grow", "", Q4, "0.6", "1.0", "1.0", "0.25", "2.25", "4"],
        ["Key result", "Grow", "KR1a", Q4, "0.5", "strong", "medium", "", "1.5", "2"],
        ["Key result", "Grow", "KR1b", Q4, "0.8", "", "medium", "weak", "0.75", "2"],
        ["Objective", "Retain", "", Q4, "0.1", "0.25", "", "", "0.25", "1"],
        ["Key result", "Retain", "KR2a", Q4, "0.1", "weak", "", "", "0.25", "1"],
        ["Key result", "Retain", "KR2b", Q4, "0.9", "", "", "", "0.0", "0"],
        ["Total weight", "", "", "", "", "1.25", "1.0", "0.25", "2.5", "5"],
        ["Links", "", "", "", "", "2", "2", "1", "", "5"],
    ]


def test_unaligned_csv_via_the_format_parameter(client, world, marketing_user):
    client.force_login(marketing_user)
    rows = _csv(client.get("/alignment/", {"format": "csv", "table": "unaligned", "period": Q4}))
    assert rows == [
        [
            "Rank",
            "Initiative",
            "Status",
            "Lane",
            "Team",
            "Effort (person-months)",
            "Priority",
            "Evidence",
        ],
        ["4", "D", "planned", "now", "Core", "5.0", "30.0", "0"],
        ["6", "G", "idea", "later", "Core", "2.0", "10.0", "0"],
    ]


def test_unserved_csv_flags_each_goal(client, world, marketing_user):
    client.force_login(marketing_user)
    rows = _csv(client.get("/alignment/export/unserved.csv", {"period": Q4}))
    assert rows[0] == [
        "Type",
        "Objective",
        "Key result",
        "Period",
        "Progress",
        "Planned initiatives",
        "Unserved",
        "Low progress",
        "Fewer than 2 initiatives",
    ]
    assert rows[1:] == [
        ["Key result", "Grow", "KR1b", Q4, "0.8", "1", "no", "no", "yes"],
        ["Objective", "Retain", "", Q4, "0.1", "1", "no", "yes", "yes"],
        ["Key result", "Retain", "KR2a", Q4, "0.1", "1", "no", "yes", "yes"],
        ["Key result", "Retain", "KR2b", Q4, "0.9", "0", "yes", "no", "yes"],
    ]


def test_effort_csv_ends_with_unaligned_and_total_rows(client, world, marketing_user):
    client.force_login(marketing_user)
    rows = _csv(client.get("/alignment/export/effort.csv"))
    assert rows == [
        [
            "Objective",
            "Period",
            "Weight",
            "Weight share",
            "Person-months",
            "Effort share",
            "Gap (effort share - weight share)",
            "Planned initiatives",
        ],
        ["Grow", Q4, "3.0", "0.5", "5.2", "0.3059", "-0.1941", "2"],
        ["Retain", Q4, "1.0", "0.1667", "0.8", "0.0471", "-0.1196", "1"],
        ["Expand", "2027-Q1", "2.0", "0.3333", "6.0", "0.3529", "0.0196", "1"],
        ["Unaligned", "", "", "", "5.0", "0.2941", "", "1"],
        ["Total planned", "", "", "", "17.0", "1.0", "", ""],
    ]


def test_segments_and_coverage_csv(client, world, marketing_user):
    client.force_login(marketing_user)
    rows = _csv(client.get("/alignment/export/segments.csv", {"lane": "now"}))
    assert rows == [
        [
            "Initiative",
            "Lane",
            "Status",
            "Team",
            "Agency",
            "Enterprise",
            "Startup",
            "No segment",
            "Evidence",
            "Customers",
            "Revenue",
        ],
        ["A", "now", "planned", "Core", "0", "3", "1", "1", "5", "3", "170000.00"],
        ["D", "now", "planned", "Core", "0", "0", "0", "0", "0", "0", "0.00"],
    ]
    rows = _csv(client.get("/alignment/export/coverage.csv"))
    assert rows == [
        [
            "Segment",
            "Evidence",
            "Unlinked",
            "On planned work",
            "On other work",
            "Customers",
            "Planned initiatives",
            "Answered by the roadmap",
        ],
        ["Agency", "2", "1", "0", "1", "1", "0", "no"],
        ["Enterprise", "5", "1", "3", "1", "2", "1", "yes"],
        ["Startup", "5", "1", "3", "1", "1", "2", "yes"],
        ["No segment", "2", "0", "2", "0", "1", "2", "yes"],
    ]


def test_titles_that_look_like_formulas_are_defused_in_every_export(client, world, marketing_user):
    InitiativeFactory(
        title='=HYPERLINK("http://evil.example","x")', team="@ops", rank=9, lane="now"
    )
    client.force_login(marketing_user)
    rows = _csv(client.get("/alignment/export/unaligned.csv"))
    assert rows[-1][:4] == ["7", '\'=HYPERLINK("http://evil.example","x")', "planned", "now"]
    assert rows[-1][4] == "'@ops"
    heat = _csv(client.get("/alignment/export/segments.csv"))
    assert any(row[0].startswith("'=HYPERLINK") for row in heat)


def test_unknown_table_is_404(client, world, marketing_user):
    client.force_login(marketing_user)
    assert client.get("/alignment/export/secrets.csv").status_code == 404
    assert client.get("/alignment/", {"format": "csv", "table": "nope"}).status_code == 404


def test_csv_starts_with_a_byte_order_mark_for_excel(client, world, marketing_user):
    client.force_login(marketing_user)
    response = client.get("/alignment/export/coverage.csv")
    assert response.content.startswith("\ufeffSegment,".encode())
