"""/metrics: who may read it, and that each number moves when the thing it counts happens."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from config.celery import app as celery_app
from ops import rescore_totals
from roadmap.models import FullRescore, PendingEvidence, RecomputeRun
from roadmap.tasks import deliver_webhook
from tests.factories import EvidenceFactory, InitiativeFactory

from .conftest import alive

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-scrape-token"


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_without_a_token_metrics_is_404_where_it_is_not_opened(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_WITHOUT_TOKEN = False
    assert client.get("/metrics").status_code == 404


def test_with_a_token_only_its_bearer_reads_metrics(client, settings):
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


def test_metrics_skips_the_https_redirect_and_the_host_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["priority.example.com"]
    settings.METRICS_TOKEN = TOKEN
    assert scrape(client, HTTP_HOST="10.0.0.7:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")


def test_requests_are_counted_by_route_name_not_by_path(client, product_user):
    product_client = Client()
    product_client.force_login(product_user)
    initiative = InitiativeFactory()
    route = "roadmap:initiative"
    before = scrape(client)
    for _ in range(3):
        assert product_client.get(f"/initiatives/{initiative.pk}/").status_code == 200
    client.get("/no/such/page/")
    after = scrape(client)

    labels = {"method": "GET", "route": route, "status": "200"}
    assert (
        value(after, "priority_http_requests_total", **labels)
        - value(before, "priority_http_requests_total", **labels)
        == 3
    )
    count = "priority_http_request_duration_seconds_count"
    assert (
        value(after, count, method="GET", route=route)
        - value(before, count, method="GET", route=route)
        == 3
    )
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "priority_http_requests_total", **unmatched) >= 1
    routes = {v for (_, labels) in after for k, v in labels if k == "route"}
    assert route in routes
    assert not any("/" in r for r in routes)  # names, never paths with ids in them


def _run(claimed, changed, ms, minutes_ago=0):
    run = RecomputeRun.objects.create(
        trigger="evidence", claimed=claimed, changed=changed, duration_ms=ms
    )
    if minutes_ago:
        RecomputeRun.objects.filter(pk=run.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes_ago)
        )


def test_rescore_runs_durations_and_initiatives_come_from_the_run_rows(client):
    _run(10, 4, 80, minutes_ago=10)  # settled: folded into the running totals
    _run(5, 1, 300, minutes_ago=5)
    first = scrape(client)
    _run(2, 2, 1500)  # recent: read fresh at each scrape
    samples = scrape(client)

    assert value(first, "priority_rescore_runs_total") == 2
    assert value(samples, "priority_rescore_runs_total") == 3
    assert value(samples, "priority_rescore_claimed_initiatives_total") == 17
    assert value(samples, "priority_rescore_changed_initiatives_total") == 7
    assert value(samples, "priority_rescore_duration_seconds_sum") == pytest.approx(1.88)
    assert value(samples, "priority_rescore_duration_seconds_bucket", le="0.1") == 1
    assert value(samples, "priority_rescore_duration_seconds_bucket", le="0.5") == 2
    assert value(samples, "priority_rescore_duration_seconds_bucket", le="+Inf") == 3
    assert value(samples, "priority_rescore_last_run_claimed") == 2
    assert value(samples, "priority_rescore_last_run_duration_seconds") == 1.5
    # A new process (none of the running totals) reads the same numbers.
    rescore_totals.forget()
    again = scrape(client)
    for name in ("runs_total", "claimed_initiatives_total", "duration_seconds_sum"):
        assert value(again, f"priority_rescore_{name}") == value(
            samples, f"priority_rescore_{name}"
        )


def test_pending_work_and_its_age_by_kind(client):
    item = EvidenceFactory(initiative=InitiativeFactory())
    PendingEvidence.objects.create(evidence_id=item.pk)
    request = FullRescore.objects.create(reaggregate=False)
    FullRescore.objects.filter(pk=request.pk).update(
        created_at=timezone.now() - timedelta(seconds=90)
    )
    samples = scrape(client)
    assert value(samples, "priority_pending_work", kind="evidence") == 1
    assert value(samples, "priority_pending_work", kind="full_rescore") == 1
    assert value(samples, "priority_pending_work", kind="mark") == 1  # the new initiative
    assert 90 <= value(samples, "priority_pending_work_oldest_seconds", kind="full_rescore") < 100


def test_ingested_evidence_is_counted(client, integration_api):
    before = value(scrape(client), "priority_evidence_ingested_total")
    items = [{"source": "support", "text": f"Export is slow ({n})"} for n in range(5)]
    assert integration_api.post("/api/v1/evidence/", items, format="json").status_code == 201
    after = value(scrape(client), "priority_evidence_ingested_total")
    assert after - before == 5


def test_webhook_attempts_are_counted_by_outcome(client):
    before = value(scrape(client), "priority_webhook_attempts_total", outcome="skipped")
    deliver_webhook.delay(999_999)  # no such delivery: nothing to send
    after = value(scrape(client), "priority_webhook_attempts_total", outcome="skipped")
    assert after - before == 1


@pytest.mark.parametrize(
    ("state", "retval", "outcome"),
    [
        ("SUCCESS", "succeeded", "succeeded"),
        ("SUCCESS", "failed", "failed"),
        ("SUCCESS", "pending", "retry"),
        ("RETRY", None, "retry"),
        ("SUCCESS", "in_flight", "skipped"),
        ("FAILURE", None, "error"),
    ],
)
def test_webhook_outcomes(state, retval, outcome):
    from ops.worker import webhook_outcome

    assert webhook_outcome(state, retval) == outcome


def test_queue_lengths_and_heartbeat_ages_are_read_at_scrape(client, live):
    alive()
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("webhooks")
        celery_app.send_task(
            "roadmap.tasks.retry_due_webhook_deliveries", queue="webhooks", connection=conn
        )
    try:
        samples = scrape(client)
    finally:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge("webhooks")
    assert value(samples, "priority_celery_queue_length", queue="webhooks") == 1
    assert value(samples, "priority_celery_queue_length", queue="celery") == 0
    assert value(samples, "priority_worker_heartbeat_age_seconds", queue="celery") < 5
    assert value(samples, "priority_sweep_age_seconds") < 5


def test_a_scrape_runs_the_same_queries_whatever_the_data(client, django_assert_max_num_queries):
    for n in range(20):
        _run(n, n, 10.0 * n, minutes_ago=10)
    initiatives = InitiativeFactory.create_batch(25)
    for item in EvidenceFactory.create_batch(25, initiative=initiatives[0]):
        PendingEvidence.objects.create(evidence_id=item.pk)
    scrape(client)  # the first scrape of a process folds the settled runs once
    with django_assert_max_num_queries(14):
        scrape(client)


def test_a_part_that_cannot_be_read_is_left_out_and_named(client, monkeypatch):
    from ops import collector

    def down():
        raise ConnectionRefusedError("redis://:hunter2@redis.internal:6379")

    monkeypatch.setattr(collector.heartbeats, "queue_lengths", down)
    response = client.get("/metrics")
    assert response.status_code == 200
    samples = scrape(client)
    assert (
        value(samples, "priority_scrape_errors", part="processes", error="ConnectionRefusedError")
        == 1
    )
    assert value(samples, "priority_rescore_runs_total") == 0  # the other parts are there
    assert ("priority_rescore_runs_total", ()) in samples
    assert b"hunter2" not in response.content
