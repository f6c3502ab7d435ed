"""Optional error tracking: Sentry, set up by production settings when SENTRY_DSN is set."""

from __future__ import annotations


def release() -> str | None:
    try:
        from config.version import __version__
    except ImportError:  # pragma: no cover - the version module is the packaging's
        return None
    return f"priority@{__version__}"


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float) -> None:
    """Django and Celery errors to Sentry, tagged with the request id, with no personal data."""
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        release=release(),
        environment=environment,
        traces_sample_rate=traces_sample_rate,
    )
