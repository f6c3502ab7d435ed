"""One log line per request and per task, each with the request id the response names."""

import json
import logging

import pytest

from config.celery import app as celery_app
from ops.context import request_id_var
from ops.logs import JsonFormatter, RequestIdFilter, logging_config
from ops.worker import HEADER, _publish
from tests.factories import InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(caplog):
    """The records as the production handler writes them: JSON, request id added at emit time."""
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())
    formatter = JsonFormatter()

    def read(logger: str) -> list[dict]:
        return [json.loads(formatter.format(r)) for r in caplog.records if r.name == logger]

    return read


def test_a_request_writes_one_json_line_with_its_id_route_status_and_duration(client, lines):
    initiative = InitiativeFactory()
    client.force_login(initiative_owner := _product_user())
    assert initiative_owner
    response = client.get(f"/initiatives/{initiative.pk}/", HTTP_X_REQUEST_ID="lb-7f3a.42")

    assert response["X-Request-ID"] == "lb-7f3a.42"
    [line] = [x for x in lines("priority.request") if x["path"] == f"/initiatives/{initiative.pk}/"]
    assert line["request_id"] == "lb-7f3a.42"
    assert line["method"] == "GET"
    assert line["route"] == "roadmap:initiative"
    assert line["status"] == 200
    assert line["duration_ms"] > 0
    assert line["level"] == "INFO"
    assert line["logger"] == "priority.request"
    assert line["time"].endswith("+00:00")


def _product_user():
    from tests.factories import UserFactory

    return UserFactory(username="pat", groups=["product"])


def test_a_request_without_an_id_gets_a_generated_one(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32
    assert int(first, 16) >= 0
    assert first != second


@pytest.mark.parametrize(
    "hostile",
    [
        "x" * 129,
        "abc\r\nSet-Cookie: a=b",
        'a" injected="1',
        "<script>",
        "id with spaces",
        "",
    ],
)
def test_a_hostile_request_id_is_replaced(client, hostile, lines):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=hostile)
    given = response["X-Request-ID"]
    assert given != hostile
    assert len(given) == 32
    assert int(given, 16) >= 0


@pytest.mark.django_db(transaction=True)
def test_the_task_a_request_enqueues_logs_the_requests_id(integration_api, lines):
    """Eager here: the rescore runs when the ingest commits, inside the request."""
    initiative = InitiativeFactory()
    response = integration_api.post(
        "/api/v1/evidence/",
        {"source": "support", "text": "Export is slow", "initiative": initiative.pk},
        format="json",
        HTTP_X_REQUEST_ID="req-ingest-1",
    )
    assert response.status_code == 201
    tasks = lines("priority.task")
    rescore = [t for t in tasks if t["task"] == "roadmap.tasks.recompute_priorities"]
    assert rescore, tasks
    assert {t["request_id"] for t in rescore} == {"req-ingest-1"}
    assert rescore[0]["state"] == "SUCCESS"
    assert rescore[0]["duration_ms"] >= 0


def test_a_published_task_carries_the_request_id_in_its_headers():
    headers = {}
    token = request_id_var.set("req-publish-1")
    try:
        _publish(sender="roadmap.tasks.recompute_priorities", headers=headers)
    finally:
        request_id_var.reset(token)
    assert headers == {HEADER: "req-publish-1"}


def test_a_task_run_by_a_worker_takes_the_id_from_its_message(lines):
    """The worker side: a message's header becomes the id of the task's log lines."""
    task = celery_app.tasks["roadmap.tasks.retry_due_webhook_deliveries"]
    task.apply(headers={HEADER: "req-from-message"})
    [line] = [t for t in lines("priority.task") if t["task"] == task.name]
    assert line["request_id"] == "req-from-message"
    assert request_id_var.get() is None


def test_log_format_is_json_or_text_and_nothing_else():
    assert (
        logging_config(fmt="json", level="INFO", trace_level="WARNING")["handlers"]["console"][
            "formatter"
        ]
        == "json"
    )
    assert (
        logging_config(fmt="text", level="INFO", trace_level="WARNING")["handlers"]["console"][
            "formatter"
        ]
        == "text"
    )
    with pytest.raises(ValueError, match="LOG_FORMAT must be json or text, not 'xml'"):
        logging_config(fmt="xml", level="INFO", trace_level="WARNING")
