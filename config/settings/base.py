"""Settings shared by every environment.

Everything that differs between a laptop and production comes from the
environment (django-environ). With no DATABASE_URL the app runs on an embedded
SQLite file; with no CELERY_BROKER_URL Celery runs tasks eagerly in-process.
"""

import tempfile
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from celery.schedules import crontab

from ops.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    env.read_env(str(env_file))

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-only-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "audit",
    "apikeys",
    "okrs",
    "roadmap",
    "saved_views",
]

MIDDLEWARE = [
    # First: the request id, the request's log line and metrics (ops.middleware) ...
    "ops.middleware.RequestMiddleware",
    # ... then /healthz, /readyz and /metrics, answered before the HTTPS redirect
    # and the ALLOWED_HOSTS check, so a load balancer can probe a node by address.
    "ops.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # RateLimit-* headers on every /api/ response, whichever layer below answers
    # (a slash redirect, a 413, a 401, the view).
    "apikeys.ratelimit.RateLimitHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.middleware.BodySizeLimitMiddleware",
    "config.middleware.NulAndQueryLimitMiddleware",
    # Idempotency-Key on POST under /api/: after the body-size and NUL guards.
    "apikeys.middleware.IdempotencyMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "roadmap.context_processors.roles",
                "saved_views.context_processors.saved_views",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A single-file database shared by the web server and eager tasks: wait for
    # the writer instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    # The covering indexes' INCLUDE columns are PostgreSQL's; SQLite builds the
    # key columns alone, which is all it needs. Said once here, not at every migrate.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # No JIT: the app's queries run in milliseconds, and PostgreSQL's JIT, which
    # kicks in on cost estimates, spent 0.5-1.3 s compiling each of the alignment
    # page's aggregates (10k initiatives) to save a few milliseconds of execution.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # Brute-force protection for the login form and the admin (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # CSV files uploaded in the browser, kept between the mapping, the preview,
    # the dry run and the import (roadmap.views.imports), deleted once imported
    # and after a day. Several web hosts need a shared directory (or another backend).
    "csv_imports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env(
                "CSV_IMPORT_DIR", default=str(Path(tempfile.gettempdir()) / "priority-csv-imports")
            )
        },
    },
}

# The rescore nudge is de-duplicated through the cache, so web processes and
# workers must share it. CACHE_URL names it; without one, a Redis broker's
# server holds it in the next database (broker /0 -> cache /1; /15 -> /0), never
# in the broker's own: cached pages must not sit in the keyspace of queued tasks.
# Production gives the cache a Redis of its own, with maxmemory and allkeys-lru
# (README, "Redis in production"): maxmemory is per server, not per database.
_broker = env("CELERY_BROKER_URL", default="")
if env("CACHE_URL", default=""):
    CACHES = {"default": env.cache("CACHE_URL")}
elif _broker.startswith(("redis://", "rediss://")):
    _url = urlsplit(_broker)
    _cache_db = (int(_url.path.strip("/") or 0) + 1) % 16
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": urlunsplit(_url._replace(path=f"/{_cache_db}")),
            "KEY_PREFIX": "priority",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Limits -----------------------------------------------------------------
# Bodies over this get a 413 before anything parses them (config.middleware);
# an ingest batch of 1,000 evidence items of ordinary length fits well inside.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=8 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5_000
# CSV imports (roadmap.services.imports, docs/CSV.md): the largest file taken,
# in place of MAX_REQUEST_BODY_BYTES on the import URLs (a bigger one gets a 413
# naming this setting), the most data rows one import takes (all in one
# transaction), and how many of a failed import's errors the report lists
# (it counts them all).
CSV_IMPORT_MAX_BYTES = env.int("CSV_IMPORT_MAX_BYTES", default=64 * 1024 * 1024)
CSV_IMPORT_MAX_ROWS = env.int("CSV_IMPORT_MAX_ROWS", default=200_000)
CSV_IMPORT_MAX_ERRORS = env.int("CSV_IMPORT_MAX_ERRORS", default=1_000)

# --- Content-Security-Policy (django-csp) ----------------------------------
# No inline script anywhere: every page's JS is a static file. Styles allow
# inline attributes for progress-bar widths and chart sizing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 15 * 60}
# Workers log through LOGGING below (JSON in production, with the request id),
# not through the format Celery would install on the root logger.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Webhook deliveries wait on other people's servers, so they (and the fan-out
# and the sweep, which touch only webhook tables) have a queue and workers of
# their own: a slow receiver never holds up a rescore. Everything else goes to
# the default `celery` queue. Run one worker per queue (README, "Running it for real").
CELERY_TASK_ROUTES = {
    "roadmap.tasks.deliver_webhook": {"queue": "webhooks"},
    "roadmap.tasks.deliver_priority_changed": {"queue": "webhooks"},
    "roadmap.tasks.retry_due_webhook_deliveries": {"queue": "webhooks"},
    # Seconds of aggregation over all the evidence: never in front of a rescore.
    "roadmap.tasks.recount_segment_evidence": {"queue": "webhooks"},
    # Up to 20,000 items' search documents a batch (seconds while catching up).
    "roadmap.tasks.sweep_evidence_documents": {"queue": "webhooks"},
}
CELERY_BEAT_SCHEDULE = {
    # The database mark is the truth; this sweep finishes what a lost nudge missed.
    "sweep-marked-initiatives": {
        "task": "roadmap.tasks.sweep_marked_initiatives",
        "schedule": timedelta(seconds=env.int("RESCORE_SWEEP_SECONDS", default=5)),
    },
    # A webhook retry whose Celery message was lost is re-sent from its row.
    "retry-due-webhook-deliveries": {
        "task": "roadmap.tasks.retry_due_webhook_deliveries",
        "schedule": timedelta(seconds=env.float("WEBHOOK_RETRY_SWEEP_SECONDS", default=30)),
    },
    # Evidence decays with age, so every score moves a little each day (from
    # the kept evidence sums) ...
    "rescore-everything-nightly": {
        "task": "roadmap.tasks.rescore_all_initiatives",
        "schedule": crontab(hour=3, minute=17),
    },
    # ... and once a week the sums are taken again from all the evidence.
    "reaggregate-everything-weekly": {
        "task": "roadmap.tasks.rescore_all_initiatives",
        "schedule": crontab(hour=3, minute=47, day_of_week="sunday"),
        "kwargs": {"reaggregate": True},
    },
    # Derived NPS/CSAT metrics: new answers nudge a run; this moves their
    # rolling windows on without new answers and catches a lost nudge.
    # Stored Idempotency-Key answers are kept 24 hours.
    "purge-idempotency-records-hourly": {
        "task": "apikeys.tasks.purge_idempotency_records",
        "schedule": crontab(minute=23),
    },
    "recompute-derived-metrics-hourly": {
        "task": "roadmap.tasks.recompute_derived_metrics",
        "schedule": crontab(minute=7),
    },
    # The inbox search reads new evidence's text directly until this has added
    # its search documents: the fewer it leaves, the faster the search.
    "sweep-evidence-documents": {
        "task": "roadmap.tasks.sweep_evidence_documents",
        "schedule": timedelta(seconds=env.int("EVIDENCE_DOCUMENT_SWEEP_SECONDS", default=10)),
    },
    # The alignment page sorts initiatives by the evidence of chosen segments
    # from these counts (an aggregate over all the evidence, too slow per request).
    "recount-segment-evidence": {
        "task": "roadmap.tasks.recount_segment_evidence",
        "schedule": timedelta(seconds=env.int("SEGMENT_RECOUNT_SECONDS", default=600)),
    },
}

# --- REST API ---------------------------------------------------------------
# DRF and drf-spectacular: config/settings/rest_api.py (reads API_THROTTLE_* from
# the environment, so imported here, after .env is read).
from .rest_api import REST_FRAMEWORK, SPECTACULAR_SETTINGS  # noqa: E402, F401

# --- Priority ---------------------------------------------------------------
# Scoring constants; defaults documented in roadmap/scoring.py (ScoringPolicy).
PRIORITY_EVIDENCE_HALF_LIFE_DAYS = env.float("PRIORITY_EVIDENCE_HALF_LIFE_DAYS", default=90.0)
PRIORITY_ALIGNMENT_FLOOR = env.float("PRIORITY_ALIGNMENT_FLOOR", default=0.2)
# Memory for the rescore's aggregate (PostgreSQL, SET LOCAL in its transaction):
# with the default 4MB the planner sorts 1M evidence rows on disk.
RESCORE_WORK_MEM = env("RESCORE_WORK_MEM", default="64MB")
# A re-aggregation of all the evidence is read by this many connections at once,
# each a range of initiatives (PostgreSQL; 1: one). About the database's cores.
RESCORE_AGGREGATE_STREAMS = env.int("RESCORE_AGGREGATE_STREAMS", default=2)
# A burst of events within this window is scored by one recompute run.
RESCORE_DEBOUNCE_SECONDS = env.float("RESCORE_DEBOUNCE_SECONDS", default=0.25)
# Under load a nudge waits as long as the last run took, at most this long
# (see roadmap.services.marks.nudge_countdown).
RESCORE_DEBOUNCE_MAX_SECONDS = env.float("RESCORE_DEBOUNCE_MAX_SECONDS", default=1.0)
# The rescore worker vacuums the (constantly rewritten) initiative table at most
# this often; see roadmap/services/vacuum.py.
RESCORE_VACUUM_SECONDS = env.int("RESCORE_VACUUM_SECONDS", default=10)
# ...and analyzes it (for the planner's estimates) at most this often.
RESCORE_ANALYZE_SECONDS = env.int("RESCORE_ANALYZE_SECONDS", default=600)
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)
# Waits (seconds) between a webhook delivery's attempts: Svix's schedule, 5 s,
# 5 min, 30 min, 2 h, 5 h, then 10 h: 12 attempts over about 2.8 days. After
# the last one fails the subscription is disabled. Each wait is spread by
# ±WEBHOOK_RETRY_JITTER (a fraction).
WEBHOOK_RETRY_SCHEDULE = env.list(
    "WEBHOOK_RETRY_SCHEDULE",
    cast=float,
    default=[5, 300, 1800, 7200, 18000, *[36000] * 6],
)
WEBHOOK_RETRY_JITTER = env.float("WEBHOOK_RETRY_JITTER", default=0.2)
# A retry due within this many seconds waits as a Celery countdown; a later
# one is sent by the sweep when due (a countdown past the broker's visibility
# timeout would be delivered twice).
WEBHOOK_RETRY_COUNTDOWN_MAX_SECONDS = env.float(
    "WEBHOOK_RETRY_COUNTDOWN_MAX_SECONDS", default=600.0
)
# After a secret rotation the old secret keeps signing (a second signature)
# this long, so receivers can switch without missing a delivery.
WEBHOOK_SECRET_OVERLAP_HOURS = env.float("WEBHOOK_SECRET_OVERLAP_HOURS", default=24.0)
# How often the beat sweep re-sends retries whose message was lost (and how late
# a retry must be before the sweep takes it over).
WEBHOOK_RETRY_SWEEP_SECONDS = env.float("WEBHOOK_RETRY_SWEEP_SECONDS", default=30.0)
# One delivery attempt, connect to the last byte read, gets at most this long,
# however slowly the receiver answers; past it the attempt fails and is retried.
WEBHOOK_DELIVERY_DEADLINE_SECONDS = env.float("WEBHOOK_DELIVERY_DEADLINE_SECONDS", default=10.0)

# --- Operations (ops/) -------------------------------------------------------
# /readyz answers 503 when a worker consuming each queue has not written its
# heartbeat (every WORKER_HEARTBEAT_SECONDS) for this long ...
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=5.0)
READYZ_WORKER_MAX_AGE_SECONDS = env.float("READYZ_WORKER_MAX_AGE_SECONDS", default=30.0)
# ... when the periodic sweep (sent every RESCORE_SWEEP_SECONDS) has not run for this long ...
READYZ_BEAT_MAX_AGE_SECONDS = env.float(
    "READYZ_BEAT_MAX_AGE_SECONDS",
    default=max(60.0, 6 * env.float("RESCORE_SWEEP_SECONDS", default=5)),
)
# ... and when the oldest unscored work (evidence, marks, full runs) is older than this.
READYZ_STALENESS_MAX_SECONDS = env.float("READYZ_STALENESS_MAX_SECONDS", default=120.0)
# /metrics: with a token, only `Authorization: Bearer <token>` reads it; without
# one it is open where METRICS_WITHOUT_TOKEN is true (here; production: 404).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_WITHOUT_TOKEN = env.bool("METRICS_WITHOUT_TOKEN", default=True)
# The probes skip the HTTPS redirect (ops.middleware answers them before it;
# this keeps them exempt should that middleware move).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# Error email: ADMINS="Ann Ops <ann@example.com>,ops@example.com" get every
# logged error (500s and failed tasks), sent through EMAIL_URL.
ADMINS = [
    (name or address, address)
    for name, address in getaddresses(env.list("ADMINS", default=[]))
    if address
]
MANAGERS = ADMINS
SERVER_EMAIL = env("SERVER_EMAIL", default="root@localhost")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
EMAIL_SUBJECT_PREFIX = env("EMAIL_SUBJECT_PREFIX", default="[Priority] ")
vars().update(env.email_url("EMAIL_URL", default="smtp://localhost:25"))

# One line per record on stderr: LOG_FORMAT=json (one JSON object a line, the
# production default) or text; each carries the request id (ops.logs).
LOGGING = logging_config(
    fmt=env("LOG_FORMAT", default="text"),
    level=env("LOG_LEVEL", default="INFO"),
    trace_level=env("CELERY_TRACE_LOG_LEVEL", default="WARNING"),
)
