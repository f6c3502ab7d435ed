"""Outgoing webhooks. Subscriptions and signed deliveries land with the REST API issue."""


def priority_changed_enqueue(*, snapshot_ids: list[int]) -> int:
    """Queue `priority.changed` deliveries for these snapshots; returns how many were queued.

    No subscription model exists yet, so nothing is queued.
    """
    return 0
