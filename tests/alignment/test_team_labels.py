"""Objectives in the alignment views carry their team's label, not "Company"."""

import pytest

from tests.factories import AlignmentFactory, InitiativeFactory, KeyResultFactory, ObjectiveFactory

pytestmark = pytest.mark.django_db


def test_objectives_are_labelled_with_their_team(client, marketing_user):
    company = ObjectiveFactory(title="Company goal")
    team = ObjectiveFactory(title="Team goal", team="Growth", parent=company)
    kr = KeyResultFactory(objective=team, title="Team KR")
    KeyResultFactory(objective=company, title="Company KR")
    AlignmentFactory(initiative=InitiativeFactory(lane="now"), key_result=kr)
    client.force_login(marketing_user)
    for tab in ("matrix", "effort"):
        html = client.get("/alignment/", {"tab": tab}).content.decode()
        assert "data-team-label>Growth" in html
    html = client.get("/alignment/", {"tab": "unserved"}).content.decode()
    assert "data-team-label>Company" in html  # the unserved company objective
