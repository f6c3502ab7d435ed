"""What web and Celery processes add to each task: the request id, a log line, signs of life.

Connected by config.celery for every process that loads the Celery app:

- before_task_publish: the current request id goes into the message's
  headers, so the task a request enqueues logs the request's id; beat
  notes that it sent the sweep (ops.heartbeats).
- task_prerun / task_postrun: the task runs with that id (a new one when it
  came without, e.g. from beat, so what it enqueues in turn shares it), and
  writes one log line (`priority.task`) with its name, id, state and duration.
  A webhook delivery's outcome is counted (ops.counters).
- WorkerHeartbeat, a consumer bootstep: every WORKER_HEARTBEAT_SECONDS the
  worker's timer writes a heartbeat for each queue it consumes.
"""

from __future__ import annotations

import logging
import time

from celery import bootsteps
from celery.signals import before_task_publish, task_postrun, task_prerun
from django.conf import settings
from django.core.cache import cache

from . import counters, heartbeats
from .context import current_request_id, new_request_id, request_id_var, valid_request_id

try:
    import sentry_sdk
except ImportError:  # pragma: no cover
    sentry_sdk = None

logger = logging.getLogger("priority.task")
HEADER = "request_id"
WEBHOOK_TASK = "roadmap.tasks.deliver_webhook"

_running: dict[str, tuple[float, object]] = {}


@before_task_publish.connect
def _publish(sender=None, headers=None, **kwargs):
    request_id = current_request_id()
    if request_id and headers is not None:
        headers[HEADER] = request_id
    if sender == heartbeats.SWEEP_TASK:
        cache.set(heartbeats.BEAT_SENT_KEY, time.time(), heartbeats.HEARTBEAT_TTL)


@task_prerun.connect
def _prerun(task_id=None, task=None, **kwargs):
    # A worker puts a message's own headers on the request; apply() under "headers".
    headers = getattr(task.request, "headers", None) or {}
    given = valid_request_id(getattr(task.request, HEADER, None) or headers.get(HEADER))
    # Eager tasks run inside the request: they keep its id.
    request_id = given or current_request_id() or new_request_id()
    token = request_id_var.set(request_id)
    if sentry_sdk is not None:
        sentry_sdk.set_tag("request_id", request_id)
    _running[task_id] = (time.perf_counter(), token)


@task_postrun.connect
def _postrun(task_id=None, task=None, retval=None, state=None, **kwargs):
    started, token = _running.pop(task_id, (None, None))
    seconds = time.perf_counter() - started if started is not None else 0.0
    if task.name == WEBHOOK_TASK:
        counters.count("webhook", webhook_outcome(state, retval))
    logger.info(
        "task %s %s %.1fms",
        task.name,
        state,
        seconds * 1000,
        extra={
            "task": task.name,
            "task_id": task_id,
            "state": state,
            "duration_ms": round(seconds * 1000, 1),
        },
    )
    if token is not None:
        request_id_var.reset(token)


def webhook_outcome(state: str | None, retval) -> str:
    if state == "RETRY" or retval == "pending":
        return "retry"
    if state != "SUCCESS":
        return "error"
    if retval in ("succeeded", "failed"):
        return retval
    return "skipped"  # in_flight, missing: another attempt has it, or it is gone


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Write this worker's heartbeat for each queue it consumes, from the worker's own timer."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self.tref = None

    def start(self, parent):
        queues = sorted(parent.app.amqp.queues.consume_from)
        self._beat(queues)
        self.tref = parent.timer.call_repeatedly(
            settings.WORKER_HEARTBEAT_SECONDS, self._beat, (queues,), priority=10
        )

    def stop(self, parent):
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None

    shutdown = stop

    @staticmethod
    def _beat(queues):
        try:
            heartbeats.worker_beat(queues)
        except Exception:  # a cache outage must not stop the worker; /readyz shows it
            logger.warning("could not write the worker heartbeat", exc_info=True)
