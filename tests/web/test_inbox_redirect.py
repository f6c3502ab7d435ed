"""After a link from a search, the inbox comes back with the same search, whatever it holds."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from tests.factories import EvidenceFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("search", ["R&D #1", "a&page=9", "exports + sso  beta", "50%00 off"])
def test_linking_from_a_search_returns_to_that_exact_search(product_client, small_roadmap, search):
    item = EvidenceFactory(text="to link")
    response = product_client.post(
        reverse("roadmap:evidence-link"),
        {"evidence": item.pk, "initiative": small_roadmap["alpha"].pk, "q": search},
    )
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == reverse("roadmap:inbox")
    assert location.fragment == ""  # a '#' in the text is not cut off into a fragment
    assert parse_qs(location.query) == {"q": [search]}
    inbox = product_client.get(response["Location"])
    assert inbox.status_code == 200
    assert inbox.context["q"] == search


def test_linking_without_a_search_returns_to_the_plain_inbox(product_client, small_roadmap):
    item = EvidenceFactory(text="to link")
    response = product_client.post(
        reverse("roadmap:evidence-link"),
        {"evidence": item.pk, "initiative": small_roadmap["alpha"].pk},
    )
    assert response["Location"] == reverse("roadmap:inbox")
