"""Log formats: one JSON object a line (production) or readable text (development).

Every record gets `request_id` (ops.context) through RequestIdFilter, so a
request's line, its errors and the lines of the tasks it enqueued can be
found together. `LOG_FORMAT=json|text` chooses; see logging_config().
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from .context import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


class RequestIdFilter(logging.Filter):
    """Give each record the current request id ('-' outside any request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class JsonFormatter(_JsonFormatter):
    """python-json-logger's formatter with short, stable key names and UTC ISO times."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "rename_fields", {"levelname": "level", "asctime": "time", "name": "logger"}
        )
        kwargs.setdefault("timestamp", False)
        super().__init__(JSON_FIELDS, *args, **kwargs)

    def formatTime(self, record, datefmt=None):
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def logging_config(*, fmt: str, level: str, trace_level: str) -> dict:
    """The LOGGING dict: every record to stderr as `fmt` ("json" or "text").

    Errors also go to ADMINS by email (AdminEmailHandler sends nothing while
    ADMINS is empty). `django` propagates to the root handlers instead of
    keeping Django's own (which mail request errors a second time), and
    `django.request` logs only errors: the request line (ops.middleware)
    already says every 4xx.
    """
    if fmt not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "ops.logs.RequestIdFilter"}},
        "formatters": {
            "json": {"()": "ops.logs.JsonFormatter"},
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": fmt,
                "filters": ["request_id"],
            },
            "mail_admins": {
                "class": "django.utils.log.AdminEmailHandler",
                "level": "ERROR",
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["console", "mail_admins"], "level": level},
        "loggers": {
            "django": {"handlers": [], "level": level, "propagate": True},
            "django.request": {"level": "ERROR"},
            # Celery's own line per task; ops.tasks writes one with the request id.
            "celery.app.trace": {"level": trace_level},
            "axes": {"level": "WARNING"},
        },
    }
