"""An integration's first day, written with the client openapi-python-client
generates from the schema, against a live server (docs/API.md, "A generated
Python client", shows the same code).

The client raises on any status the schema does not document for an
operation (`raise_on_unexpected_status`), so each step also checks that the
schema names the answers the server really gives.
"""

import importlib
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from apikeys.services import api_key_create
from roadmap.models import Customer, Evidence, Initiative
from roadmap.services import initiatives_rescore_marked
from tests.api.client_support import generate_client, import_client, render_schema
from tests.factories import InitiativeFactory, MetricFactory, SegmentFactory
from tests.ranks import ranked_ids


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("client")
    package, _ = generate_client(render_schema(directory), directory)
    return import_client(package)


def operation(client_package, tag: str, name: str):
    """The module of one operation, as `from priority_client.api.<tag> import <name>`."""
    return importlib.import_module(f"{client_package.__name__}.api.{tag}.{name}")


@pytest.fixture
def world(db):
    SegmentFactory(name="Enterprise", weight=2.0)
    MetricFactory(key="nps", name="NPS")
    for n in range(7):
        InitiativeFactory(title=f"Initiative {n}", reach=100 + n)
    initiatives_rescore_marked()


def test_an_integration_runs_the_scenario_with_the_generated_client(
    generated, live_server, product_user, world, receiver, allow_private
):
    pc, models = generated, importlib.import_module(f"{generated.__name__}.models")
    _, key = api_key_create(
        actor=product_user, user=product_user, name="CRM sync", scopes=["read", "ingest", "write"]
    )
    # `Authorization: Bearer <key>`, the generated client's default.
    client = pc.AuthenticatedClient(
        base_url=live_server.url, token=key, raise_on_unexpected_status=True
    )

    # 1. A batch of 3 evidence items: new customers, in an existing segment.
    evidence_create = operation(pc, "evidence", "evidence_create")
    batch = [
        models.EvidenceIngestRequest(
            source=models.SourceEnum.SUPPORT,
            text=f"SSO is a blocker for our rollout ({n})",
            external_id=f"zendesk-{n}",
            customer_external_id=f"acme-{n}",
            customer_name=f"Acme {n}",
            customer_segment="Enterprise",
        )
        for n in range(3)
    ]
    response = evidence_create.sync_detailed(
        client=client, body=batch, idempotency_key=f"batch-{uuid.uuid4()}"
    )
    assert response.status_code == 201
    assert isinstance(response.parsed, models.EvidenceBatchResult)
    assert (response.parsed.created, response.parsed.updated) == (3, 0)
    assert Evidence.objects.count() == 3
    assert set(Customer.objects.values_list("segment__name", flat=True)) == {"Enterprise"}

    # 2. A metric reading.
    readings_create = operation(pc, "metrics", "metrics_readings_create")
    response = readings_create.sync_detailed(
        "nps", client=client, body=models.ReadingRequest(value=41.0, observed_at=timezone.now())
    )
    assert response.status_code == 201
    assert response.parsed.value == 41.0

    # 3. Every priority, page after page.
    priorities_list = operation(pc, "priorities", "priorities_list")
    seen, cursor = [], None
    while True:
        more = {"cursor": cursor} if cursor else {}
        listing = priorities_list.sync(client=client, page_size=3, **more)
        seen += [row.id for row in listing.results]
        if not listing.next_:
            break
        cursor = parse_qs(urlsplit(listing.next_).query)["cursor"][0]
    ranked = [Initiative.objects.get(pk=pk) for pk in ranked_ids()]
    assert seen == [initiative.id for initiative in ranked]

    # 4. One initiative, updated with If-Match; the same version again is stale: 409.
    retrieve = operation(pc, "initiatives", "initiatives_retrieve")
    update = operation(pc, "initiatives", "initiatives_partial_update")
    first = ranked[0]
    got = retrieve.sync_detailed(first.id, client=client)
    etag = got.headers["ETag"]
    assert etag == f'"{got.parsed.version}"'
    changed = update.sync_detailed(
        first.id, client=client, body=models.PatchedInitiativeRequest(effort=2.0), if_match=etag
    )
    assert changed.status_code == 200
    assert changed.parsed.effort == 2.0
    assert changed.headers["ETag"] == f'"{got.parsed.version + 1}"'
    stale = update.sync_detailed(
        first.id, client=client, body=models.PatchedInitiativeRequest(effort=5.0), if_match=etag
    )
    assert stale.status_code == 409
    assert stale.parsed.current["effort"] == 2.0
    assert stale.headers["ETag"] == changed.headers["ETag"]

    # 5. A 400 names the field and why.
    bad = update.sync_detailed(
        first.id, client=client, body=models.PatchedInitiativeRequest(confidence=0.0)
    )
    assert bad.status_code == 400
    assert [(e.pointer, e.code, e.detail) for e in bad.parsed.errors] == [
        ("/confidence", "not_positive", "Must be more than 0.")
    ]

    # 6. A webhook: subscribe, receive a delivery, verify it as a receiver would.
    webhooks_create = operation(pc, "webhooks", "webhooks_create")
    subscribed = webhooks_create.sync_detailed(
        client=client,
        body=models.WebhookSubscriptionRequest(
            url=receiver.url, events=[models.WebhookEventEnum.INITIATIVE_UPDATED]
        ),
    )
    assert subscribed.status_code == 201
    secret = subscribed.parsed.secret  # whsec_..., shown this once
    renamed = update.sync_detailed(
        first.id, client=client, body=models.PatchedInitiativeRequest(title="SSO for everyone")
    )
    assert renamed.status_code == 200
    delivery = first_request(receiver)
    payload = Webhook(secret).verify(delivery["body"], delivery["headers"])
    assert payload["type"] == "initiative.updated"
    assert payload["data"]["id"] == first.id


def first_request(receiver, *, within: float = 10.0) -> dict:
    """The first request the receiver got (deliveries run after the write's commit)."""
    deadline = time.monotonic() + within
    while not receiver.requests:
        assert time.monotonic() < deadline, "no delivery reached the receiver"
        time.sleep(0.02)
    return receiver.requests[0]
