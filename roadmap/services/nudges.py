"""The one way a service asks for asynchronous work: a named nudge, sent after commit.

Services do not import tasks (tasks import services: that is the pipeline).
A service calls `nudge_on_commit("priority.changed", snapshot_ids)`; the task
module registers what each name starts (`@nudge_handler("priority.changed")`),
and roadmap's AppConfig imports it, so every process that runs services has
the handlers. A nudge is only a wake-up: the database holds the work.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.db import transaction

_handlers: dict[str, Callable[..., object]] = {}

PRIORITY_CHANGED = "priority.changed"  # args: snapshot ids
RESCORE_REQUESTED = "rescore.requested"  # args: countdown (seconds)
WEBHOOK_DUE = "webhook.due"  # args: delivery id
DERIVED_METRICS_DUE = "derived-metrics.due"  # args: countdown (seconds)


def nudge_handler(name: str) -> Callable[[Callable], Callable]:
    """Register the function that starts the work named `name` (one per name)."""

    def register(function: Callable) -> Callable:
        _handlers[name] = function
        return function

    return register


def nudge_now(name: str, *args) -> None:
    """Send the nudge at once (a caller already past its commit)."""
    try:
        handler = _handlers[name]
    except KeyError:
        raise LookupError(f"No handler for the nudge {name!r}: is roadmap.tasks loaded?") from None
    handler(*args)


def nudge_on_commit(name: str, *args) -> None:
    """Send the nudge once the current transaction commits (at once outside one)."""
    if name not in _handlers:
        raise LookupError(f"No handler for the nudge {name!r}: is roadmap.tasks loaded?")
    transaction.on_commit(partial(nudge_now, name, *args))
