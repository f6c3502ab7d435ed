"""`?preview=1` on objective and key-result edits, and the objective form's "Preview the
ranking": the ranking the edit would give, with nothing written (okrs asks through
okrs.previews; the roadmap answers)."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from okrs.forms import KeyResultForm, ObjectiveForm
from okrs.models import KeyResult, Objective
from roadmap.models import Initiative, PendingCause
from roadmap.services import initiatives_rescore_marked
from tests.api.problems import fields
from tests.factories import AlignmentFactory, InitiativeFactory, KeyResultFactory
from tests.ranks import ranked_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked():
    """a (aligned, strong, progress 0): 80 x 2.2 = 176 (#2); b 160 (#3); c 240 (#1)."""
    kr = KeyResultFactory(start=0, target=100, current=0, progress=0.0)
    a, b, c = (InitiativeFactory(reach=r) for r in (100, 200, 300))
    AlignmentFactory(initiative=a, key_result=kr, contribution="strong")
    initiatives_rescore_marked()
    assert ranked_ids() == [
        c.pk,
        a.pk,
        b.pk,
    ]
    return kr, a, b, c


def _state():
    return (
        list(
            Initiative.objects.order_by("id").values_list(
                "priority_score", "rank_key", "version", "needs_rescore"
            )
        ),
        list(Objective.objects.order_by("id").values_list("weight", "status", "version")),
        list(KeyResult.objects.order_by("id").values_list("current", "progress", "version")),
        AuditEntry.objects.count(),
        PendingCause.objects.count(),
    )


def test_objective_weight_preview_moves_the_aligned_initiative_and_writes_nothing(
    product, ranked, django_assert_max_num_queries
):
    kr, a, b, c = ranked
    before = _state()
    url = f"/api/v1/objectives/{kr.objective_id}/?preview=1"

    with django_assert_max_num_queries(16):
        response = product.patch(url, {"weight": 3}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["up"], body["down"], body["rescored"]) == (1, 1, 1)
    moves = {m["id"]: m for m in body["moves"]}
    assert (moves[a.pk]["rank_before"], moves[a.pk]["rank_after"]) == (2, 1)
    assert moves[a.pk]["places"] == 1
    assert moves[a.pk]["score_after"] == pytest.approx(80 * (1 + 3 * 1.2))  # 368
    assert moves[c.pk]["places"] == -1
    assert b.pk not in moves
    assert [m["id"] for m in body["top"]] == [a.pk, c.pk, b.pk]
    assert _state() == before
    # The same answer as the scoring-policy preview with that objective weight.
    same = product.post(
        "/api/v1/scoring-policy/preview/",
        {"objectives": [{"id": kr.objective_id, "weight": 3}]},
        format="json",
    ).json()
    assert same["top"] == body["top"]


def test_cancelling_the_objective_previews_the_alignment_lost(product, ranked):
    kr, a, b, c = ranked
    before = _state()
    response = product.put(
        f"/api/v1/objectives/{kr.objective_id}/?preview=true",
        {"title": "Renamed", "status": "cancelled"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [m["id"] for m in body["top"]] == [c.pk, b.pk, a.pk]
    assert {m["id"]: m["score_after"] for m in body["top"]}[a.pk] == pytest.approx(80)
    assert _state() == before


def test_key_result_progress_preview(product, ranked):
    """Progress 0 -> 1 leaves only the floor: a 80 x (1 + 0.2) = 96 falls below b (160)."""
    kr, a, b, c = ranked
    before = _state()
    response = product.patch(
        f"/api/v1/key-results/{kr.pk}/?preview=1", {"current": 100}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [m["id"] for m in body["top"]] == [c.pk, b.pk, a.pk]
    assert {m["id"]: m["score_after"] for m in body["top"]}[a.pk] == pytest.approx(96)
    assert (body["up"], body["down"]) == (1, 1)
    assert _state() == before


def test_preview_refuses_what_the_edit_refuses(product, marketing, integration, ranked):
    kr, *_ = ranked
    before = _state()
    objective = f"/api/v1/objectives/{kr.objective_id}/?preview=1"
    key_result = f"/api/v1/key-results/{kr.pk}/?preview=1"
    for client in (marketing, integration):
        assert client.patch(objective, {"weight": 3}, format="json").status_code == 403
        assert client.patch(key_result, {"current": 100}, format="json").status_code == 403
    bad = product.patch(objective, {"weight": -1}, format="json")
    assert bad.status_code == 400
    assert "/weight" in fields(bad)
    assert product.patch(key_result, {"kind": "sideways"}, format="json").status_code == 400
    assert _state() == before


def test_preview_query_count_does_not_grow_with_initiatives(
    product, ranked, django_assert_max_num_queries
):
    kr, *_ = ranked
    for n in range(60):
        AlignmentFactory(initiative=InitiativeFactory(reach=n + 1), key_result=kr)
    initiatives_rescore_marked()
    with django_assert_max_num_queries(16):
        response = product.patch(
            f"/api/v1/objectives/{kr.objective_id}/?preview=1", {"weight": 2}, format="json"
        )
    assert response.status_code == 200
    assert response.json()["rescored"] == 61


def _form_data(objective, **changes):
    form = ObjectiveForm(instance=objective)
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(changes)
    return data


def test_objective_form_preview_shows_the_movers(client, product_user, marketing_user, ranked):
    kr, a, *_ = ranked
    objective = Objective.objects.get(pk=kr.objective_id)
    url = reverse("okrs:objective-preview", args=[objective.pk])
    before = _state()
    client.force_login(product_user)

    page = client.post(url, _form_data(objective, weight="3"), headers={"HX-Request": "true"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "With this edit:" in html
    assert "1 initiative would move up, 1 down" in html
    assert a.title in html
    assert _state() == before
    bad = client.post(url, _form_data(objective, weight="-1"))
    assert bad.status_code == 422
    assert "Nothing to preview yet" in bad.content.decode()
    detail = client.get(reverse("okrs:objective", args=[objective.pk])).content.decode()
    assert url in detail
    assert "Preview the ranking" in detail
    client.force_login(marketing_user)
    assert client.post(url, _form_data(objective, weight="3")).status_code == 403
    assert _state() == before


def _kr_form_data(kr, **changes):
    form = KeyResultForm(instance=kr)
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(changes)
    return data


def test_key_result_form_preview_shows_the_movers(client, product_user, marketing_user, ranked):
    kr, a, b, c = ranked
    kr = KeyResult.objects.get(pk=kr.pk)
    url = reverse("okrs:key-result-preview", args=[kr.pk])
    before = _state()
    client.force_login(product_user)

    # Met: its gap closes, so `a` (176) falls below `b` (160) at 80 x (1 + floor).
    page = client.post(url, _kr_form_data(kr, current="100"), headers={"HX-Request": "true"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "With this edit:" in html
    assert "1 initiative would move up, 1 down" in html
    assert a.title in html
    assert b.title in html
    assert _state() == before
    # The same answer as the API's ?preview=1 on that key result.
    api = client.patch(
        f"/api/v1/key-results/{kr.pk}/?preview=1", {"current": 100}, content_type="application/json"
    ).json()
    assert (api["up"], api["down"]) == (1, 1)
    assert [m["id"] for m in api["top"]] == [c.pk, b.pk, a.pk]
    bad = client.post(url, _kr_form_data(kr, title=""), headers={"HX-Request": "true"})
    assert bad.status_code == 422
    assert "Nothing to preview yet" in bad.content.decode()
    editing = client.get(
        reverse("okrs:key-result-edit", args=[kr.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert url in editing
    assert "Preview the ranking" in editing
    client.force_login(marketing_user)
    assert client.post(url, _kr_form_data(kr, current="100")).status_code == 403
    assert _state() == before
