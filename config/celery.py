"""The Celery application.

Two queues: `celery` (rescores, sweeps) and `webhooks` (deliveries, which wait
on other people's servers); run a worker for each, and one beat:
`celery -A config worker -Q celery`, `celery -A config worker -Q webhooks`,
`celery -A config beat` (see README, Running it for real).
"""

import os

from celery import Celery

# A server or worker started without DJANGO_SETTINGS_MODULE gets production
# settings: it refuses to start without DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS
# rather than serving with DEBUG and the public development key. (manage.py,
# for development, defaults to config.settings.local.)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("priority")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id in task messages, a log line per task, the workers' heartbeat
# (ops.worker). Imported after `app` exists: ops reads it back lazily.
from ops.worker import WorkerHeartbeat  # noqa: E402

app.steps["consumer"].add(WorkerHeartbeat)
