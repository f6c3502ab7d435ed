"""What every OKR write shares: the listeners it tells of changes, and optimistic locking.

okrs.services (objectives, key results, check-ins) and okrs.services_metrics
(metrics and their readings) tell the listeners registered here inside the
same transaction; roadmap subscribes at start-up (roadmap.apps).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from audit.services import fingerprint

KeyResultListener = Callable[[list[int], str], None]
_key_result_listeners: list[KeyResultListener] = []
GoalsListener = Callable[[str, list[int]], None]
_goals_listeners: list[GoalsListener] = []
KEY_RESULT_UPDATED = "key_result.updated"
OBJECTIVE_UPDATED = "objective.updated"


def on_key_results_changed(listener: KeyResultListener) -> None:
    """Subscribe to "these key results' progress or weight may have changed"."""
    if listener not in _key_result_listeners:
        _key_result_listeners.append(listener)


def _announce(key_result_ids: Iterable[int], trigger: str) -> None:
    ids = sorted(set(key_result_ids))
    if ids:
        for listener in _key_result_listeners:
            listener(ids, trigger)


def on_goals_changed(listener: GoalsListener) -> None:
    """Subscribe to "these objectives (or key results) were updated", called inside the
    transaction with KEY_RESULT_UPDATED or OBJECTIVE_UPDATED and the ids (roadmap's
    webhooks listen)."""
    if listener not in _goals_listeners:
        _goals_listeners.append(listener)


def _goals_changed(event: str, ids: Iterable[int]) -> None:
    ids = sorted(set(ids))
    if ids:
        for listener in _goals_listeners:
            listener(event, ids)


class StaleVersion(Exception):
    """The object changed since the caller read it (optimistic locking)."""

    def __init__(self, current):
        super().__init__("This object was changed by someone else.")
        self.current = current


def _check_version(instance, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != instance.version:
        raise StaleVersion(instance)


def _check_fingerprint(instance, fields: list[str], expected: str | None) -> None:
    """The version check for rows without a version column (see audit.services.fingerprint)."""
    if expected is not None and expected != fingerprint(instance, fields):
        raise StaleVersion(instance)
