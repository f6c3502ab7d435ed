"""Saved views: a page's filters and sort under a name, private or shared, opened from the nav."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from saved_views.models import SavedView
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _save(client, **data):
    payload = {"page": "priorities", "name": "Core by reach", "query": "", **data}
    return client.post("/views/save/", payload)


def test_saving_keeps_only_the_pages_own_parameters_and_opens_there(product_client, product_user):
    response = _save(
        product_client, query="team=Core&sort=-reach&page=7&csrfmiddlewaretoken=x&evil=1&lane="
    )
    view = SavedView.objects.get()
    assert view.owner == product_user
    assert view.query == "sort=-reach&team=Core"
    assert response.status_code == 302
    assert response["Location"] == "/priorities/?sort=-reach&team=Core"
    opened = product_client.get(f"/views/{view.pk}/")
    assert opened["Location"] == "/priorities/?sort=-reach&team=Core"
    assert AuditEntry.objects.filter(object_id=view.pk, action="create").exists()


def test_the_same_name_replaces_the_view_instead_of_duplicating(product_client):
    _save(product_client, query="sort=title")
    _save(product_client, name="  Core   by reach ", query="sort=-effort", shared="on")
    view = SavedView.objects.get()
    assert (view.name, view.query, view.shared) == ("Core by reach", "sort=-effort", True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"page": "admin"}, "Select a valid choice"),
        ({"name": ""}, "required"),
        ({"name": "x" * 81}, "at most 80"),
    ],
)
def test_a_bad_save_says_why_and_writes_nothing(product_client, data, message):
    response = _save(product_client, **data)
    assert response.status_code == 302
    assert SavedView.objects.count() == 0
    followed = product_client.get(response["Location"])
    assert message in followed.content.decode()


def test_private_views_stay_private_and_shared_ones_reach_the_team(product_client, marketing_user):
    _save(product_client, name="Mine", query="sort=title")
    _save(product_client, name="Ours", query="lane=now", shared="on")
    mine, ours = SavedView.objects.get(name="Mine"), SavedView.objects.get(name="Ours")
    other = Client()
    other.force_login(marketing_user)
    nav = other.get("/priorities/").content.decode()
    assert f'href="/views/{ours.pk}/"' in nav
    assert f'href="/views/{mine.pk}/"' not in nav
    assert other.get(f"/views/{mine.pk}/").status_code == 404
    assert other.get(f"/views/{ours.pk}/")["Location"] == "/priorities/?lane=now"
    # Marketing may not delete product's shared view; product may delete its own.
    other.post(f"/views/{ours.pk}/delete/")
    assert SavedView.objects.filter(pk=ours.pk).exists()
    product_client.post(f"/views/{ours.pk}/delete/")
    assert not SavedView.objects.filter(pk=ours.pk).exists()
    assert AuditEntry.objects.filter(object_id=ours.pk, action="delete").exists()


def test_people_without_a_role_have_no_saved_views(client):
    client.force_login(UserFactory(username="nobody"))
    assert _save(client).status_code == 403
    assert client.get("/views/").status_code == 403
    assert SavedView.objects.count() == 0


def test_the_nav_reads_saved_views_in_one_query_however_many(product_client, product_user):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            product_client.get("/views/")
        return len(ctx)

    _save(product_client, name="one")
    few = queries()
    for n in range(30):
        SavedView.objects.create(owner=product_user, page="priorities", name=f"v{n}", shared=True)
    assert queries() == few
    body = product_client.get("/priorities/").content.decode()
    assert body.count('href="/views/') - body.count('href="/views/"') <= 25
