"""Test settings: fast hashing, no manifest for static files, eager Celery.

Tests run tasks eagerly even when CELERY_BROKER_URL is set; the integration
tests (tests/integration) switch eager off and talk to a real worker.
"""

from .base import *  # noqa: F403
from .base import STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = True
