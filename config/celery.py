"""The Celery application: `celery -A config worker` / `celery -A config beat`."""

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
