"""Settings for `make bench`: production-like, on the bench's own PostgreSQL database.

Adds a bench-only URL (the bare DRF list used as the framework's ceiling) and
turns API throttling off: the load generator is one token doing hundreds of
requests a second, which the per-user fairness limit would otherwise refuse.
"""

import os
from urllib.parse import urlsplit, urlunsplit

from config.settings.base import *  # noqa: F403
from config.settings.base import REST_FRAMEWORK, env

DEBUG = False
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
DATABASES = {
    "default": env.db_url(
        "BENCH_DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/priority_bench"
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = 600
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"}  # as base settings do
CELERY_BROKER_URL = os.environ.get("BENCH_CELERY_BROKER_URL", "redis://127.0.0.1:6379/9")
CELERY_TASK_ALWAYS_EAGER = False
# As production runs it: the cache in its own database, next to the broker's.
_broker = urlsplit(CELERY_BROKER_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": urlunsplit(
            _broker._replace(path=f"/{(int(_broker.path.strip('/') or 0) + 1) % 16}")
        ),
        "KEY_PREFIX": "priority-bench",
    }
}
# No beat in the bench: the nudge after each ingest commit is what rescoring rides on.
CELERY_BEAT_SCHEDULE = {}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
