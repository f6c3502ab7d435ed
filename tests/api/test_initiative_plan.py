"""An initiative's plan (start and end quarter) through the API: read, set, refused."""

import pytest

from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/initiatives/"


def test_the_plan_is_read_and_set_through_the_api(product):
    initiative = InitiativeFactory(start_quarter="2026-Q2", end_quarter="2026-Q3")
    body = product.get(f"{URL}{initiative.pk}/").json()
    assert (body["start_quarter"], body["end_quarter"]) == ("2026-Q2", "2026-Q3")

    response = product.patch(
        f"{URL}{initiative.pk}/",
        {"start_quarter": "2026-Q4", "end_quarter": "2027-Q2"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    initiative.refresh_from_db()
    assert (initiative.start_quarter, initiative.end_quarter) == ("2026-Q4", "2027-Q2")


def test_an_end_before_the_start_is_a_400_naming_the_field(product):
    initiative = InitiativeFactory(start_quarter="2026-Q2", end_quarter="2026-Q3")

    response = product.patch(f"{URL}{initiative.pk}/", {"start_quarter": "2026-Q4"}, format="json")

    assert response.status_code == 400
    assert "end_quarter" in str(response.json())
    assert "The end quarter cannot be before the start quarter." in str(response.json())
    initiative.refresh_from_db()
    assert initiative.start_quarter == "2026-Q2"
