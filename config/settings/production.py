"""Production settings: every secret comes from the environment, no defaults.

HTTPS only: Secure cookies, an SSL redirect and HSTS. Two switches, both off
unless set:

- DJANGO_BEHIND_PROXY=true trusts the proxy's X-Forwarded-Proto header to say
  a request came in over HTTPS. Set it only behind a proxy that terminates TLS
  and sets (overwrites) that header; directly exposed, a client could send the
  header itself and pass as secure.
- DJANGO_INSECURE_HTTP=true is for a trial over plain HTTP: the session and
  CSRF cookies lose Secure (a browser never sends a Secure cookie back over
  HTTP, so nobody could log in), and there is no SSL redirect and no HSTS.
  Passwords and sessions then cross the network in clear text: never for real
  data. It is logged loudly at every start.
"""

import logging

from ops.logs import logging_config

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

if env.bool("DJANGO_BEHIND_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
INSECURE_HTTP = env.bool("DJANGO_INSECURE_HTTP", default=False)
SECURE_SSL_REDIRECT = not INSECURE_HTTP and env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = not INSECURE_HTTP
CSRF_COOKIE_SECURE = not INSECURE_HTTP
SECURE_HSTS_SECONDS = (
    0 if INSECURE_HTTP else env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not INSECURE_HTTP
SECURE_HSTS_PRELOAD = not INSECURE_HTTP
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

if INSECURE_HTTP:
    # Logging is not configured yet: with no handler, Python writes this to stderr.
    logging.getLogger("config.settings").warning(
        "DJANGO_INSECURE_HTTP=true: production settings WITHOUT HTTPS. Session and CSRF "
        "cookies are not Secure, there is no SSL redirect and no HSTS; passwords and "
        "sessions cross the network in clear text. For a trial on a trusted network "
        "only, never with real data."
    )

# JSON log lines unless LOG_FORMAT=text; /metrics only with METRICS_TOKEN.
LOGGING = logging_config(
    fmt=env("LOG_FORMAT", default="json"),
    level=env("LOG_LEVEL", default="INFO"),
    trace_level=env("CELERY_TRACE_LOG_LEVEL", default="WARNING"),
)
METRICS_WITHOUT_TOKEN = env.bool("METRICS_WITHOUT_TOKEN", default=False)

# Errors to Sentry when SENTRY_DSN is set (never required). No personal data:
# no user details, cookies, request bodies or IP addresses.
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    from ops.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )
