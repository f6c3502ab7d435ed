from celery import shared_task

from .idempotency import idempotency_purge_expired


@shared_task(acks_late=True)
def purge_idempotency_records() -> int:
    """Drop stored Idempotency-Key answers past their 24 hours (safe to run twice)."""
    return idempotency_purge_expired()
