"""Who sees which page: anonymous users log in, roleless users get 403, marketing reads only."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/roadmap/",
    "/roadmap/timeline/",
    "/priorities/",
    "/okrs/",
    "/evidence/",
    "/alignment/",
    "/okrs/metrics/",
    "/customers/",
]


@pytest.mark.parametrize("path", [*PAGES, "/initiatives/new/"])
def test_anonymous_users_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={path}"


@pytest.mark.parametrize("path", [*PAGES, "/initiatives/new/"])
def test_users_without_a_role_get_403(roleless_client, path):
    assert roleless_client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_marketing_can_read_every_page(marketing_client, small_roadmap, path):
    assert marketing_client.get(path).status_code == 200


def test_login_page_renders_a_labelled_form(client, db):
    html = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html


def test_logging_in_lands_on_the_board(client, product_user):
    response = client.post(
        reverse("login"), {"username": "pat", "password": "pw-for-tests-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert b"Roadmap" in response.content


def test_logout_is_a_post_form_and_get_is_refused(product_client):
    html = product_client.get("/").content.decode()
    assert f'<form method="post" action="{reverse("logout")}" class="logout">' in html
    assert product_client.get(reverse("logout")).status_code == 405
    response = product_client.post(reverse("logout"))
    assert response.status_code == 302
    assert product_client.get("/").status_code == 302


def test_navigation_links_every_section_and_admin_only_for_staff(client, product_user):
    client.force_login(product_user)
    html = client.get("/").content.decode()
    for url in (
        "/roadmap/",
        "/priorities/",
        "/okrs/",
        "/okrs/metrics/",
        "/alignment/",
        "/evidence/",
        "/customers/",
    ):
        assert f'href="{url}"' in html
    assert 'href="/admin/"' not in html
    product_user.is_staff = True
    product_user.save()
    assert 'href="/admin/"' in client.get("/").content.decode()


def test_pages_carry_no_inline_scripts_or_handlers(product_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    objective = small_roadmap["objective"]
    for path in [
        *PAGES,
        f"/initiatives/{alpha.pk}/",
        "/initiatives/new/",
        f"/okrs/objectives/{objective.pk}/",
        "/okrs/objectives/new/",
    ]:
        html = product_client.get(path).content.decode()
        for chunk in html.split("<script")[1:]:
            head = chunk.partition(">")[0]
            if "src=" in head:
                continue
            assert 'type="application/json"' in head, f"inline script on {path}"
        assert " onclick=" not in html
        assert " style=" not in html


@pytest.mark.parametrize(
    ("method", "name", "kwargs"),
    [
        ("post", "roadmap:initiative-move", {"pk": "alpha"}),
        ("post", "roadmap:initiative", {"pk": "alpha"}),
        ("post", "roadmap:priority-edit", {"pk": "alpha"}),
        ("get", "roadmap:priority-edit", {"pk": "alpha"}),
        ("post", "roadmap:alignment-add", {"pk": "alpha"}),
        ("post", "roadmap:evidence-link", {}),
        ("get", "roadmap:initiative-new", {}),
        ("post", "roadmap:initiative-new", {}),
    ],
)
def test_marketing_edits_are_refused_with_403(
    marketing_client, small_roadmap, method, name, kwargs
):
    kwargs = {k: small_roadmap[v].pk for k, v in kwargs.items()}
    url = reverse(name, kwargs=kwargs)
    response = getattr(marketing_client, method)(url, {"lane": "later", "title": "x"})
    assert response.status_code == 403


def test_marketing_checkins_are_refused_with_403(marketing_client, small_roadmap):
    url = reverse("okrs:check-in", kwargs={"pk": small_roadmap["kr"].pk})
    kr_prefix = f"kr{small_roadmap['kr'].pk}"
    response = marketing_client.post(
        url, {f"{kr_prefix}-value": "50", f"{kr_prefix}-confidence": "on_track"}
    )
    assert response.status_code == 403


def test_marketing_sees_no_edit_controls(marketing_client, small_roadmap):
    alpha = small_roadmap["alpha"]
    pages = {
        "/": ["Move to", "New initiative"],
        "/priorities/": ["Edit RICE inputs", "New initiative"],
        f"/initiatives/{alpha.pk}/": ["Save changes", "Align to key result", "Remove"],
        "/okrs/": ["Check in", "New objective"],
        "/evidence/": ["Link selected", "Link to initiative"],
        f"/okrs/objectives/{small_roadmap['objective'].pk}/": ["Save changes", "Delete", "Add"],
        "/okrs/metrics/": ["Edit", "Delete", "Add a metric"],
        "/customers/": ["Edit", "Delete", "Add a segment", "Add a customer"],
    }
    for path, controls in pages.items():
        html = marketing_client.get(path).content.decode()
        for control in controls:
            assert control not in html, f"{control!r} shown to marketing on {path}"


def test_integration_accounts_see_only_pages_they_may_open(client, integration_user, small_roadmap):
    """API-only accounts may read; the navigation offers them nothing that answers 403."""
    client.force_login(integration_user)
    html = client.get("/").content.decode()
    nav = re.search(r'<nav class="nav"[^>]*aria-label="Main">(.*?)</nav>', html, re.S).group(1)
    links = re.findall(r'href="([^"]+)"', nav)
    assert "/alignment/" not in links
    assert {"/okrs/", "/okrs/metrics/", "/customers/", "/evidence/"} <= set(links)
    for url in links:
        assert client.get(url).status_code == 200, url
    for url in ("/okrs/", "/okrs/metrics/", "/customers/"):
        page = client.get(url).content.decode()
        assert "hx-post" not in page
        assert "New objective" not in page
