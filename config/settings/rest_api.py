"""The REST API's settings: DRF's and drf-spectacular's (imported by base, after .env is read)."""

import environ

from config.version import __version__

env = environ.Env()

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so a 401 challenges with Bearer (API keys, apikeys/); DRF tokens still work.
        "apikeys.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.filters.OrderingFilter",
        "api.filters.SearchFilter",
        "api.filters.ChangedSinceFilter",
    ],
    # JSON only, refusing what Python's json accepts but the app cannot hold
    # (NaN, 1e400, 400-digit integers, deep nesting, NUL): a 400, never a 500.
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "api.autoschema.PriorityAutoSchema",
    # Every error under /api/ is RFC 9457 application/problem+json (api/errors.py).
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's, noting what they counted for the RateLimit-* headers (apikeys.ratelimit).
        "apikeys.ratelimit.UserRateThrottle",
        "apikeys.ratelimit.AnonRateThrottle",
        # Last: refuses unknown query parameters (a 400), after auth and the real throttles.
        "api.query.KnownQueryParameters",
    ],
    # Per token (user). Throttle counters live in the shared cache (Redis in
    # production); they are a fairness limit, not a brute-force defence.
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_THROTTLE_USER", default="6000/min"),
        "anon": env("API_THROTTLE_ANON", default="60/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Priority API",
    "DESCRIPTION": "Objectives, initiatives, customer evidence and explainable priorities.",
    "VERSION": __version__,  # the release (config/version.py)
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "LICENSE": {"name": "MIT", "url": "https://opensource.org/license/mit"},
    # Relative: the schema describes the deployment that serves it.
    "SERVERS": [{"url": "/", "description": "The server that serves this schema"}],
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags (and operation ids) come from the path after /api/v1/: `initiatives_list`.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Every tag an operation carries is declared here (tests/api/test_schema_clients.py).
    "TAGS": [
        {"name": "objectives", "description": "Business objectives, weighted by importance."},
        {"name": "key-results", "description": "Measurable results of objectives, check-ins."},
        {"name": "metrics", "description": "Metrics and their readings, pushed or derived."},
        {"name": "initiatives", "description": "The roadmap's work, with RICE inputs."},
        {"name": "priorities", "description": "The ranked initiatives with their breakdowns."},
        {"name": "alignments", "description": "Links from initiatives to key results."},
        {"name": "alignment", "description": "Read-only views of what the roadmap serves."},
        {"name": "evidence", "description": "Customer feedback, pushed one by one or in batches."},
        {"name": "customers", "description": "Customers that evidence comes from."},
        {"name": "segments", "description": "Customer segments with a strategic weight."},
        {"name": "scoring-policy", "description": "How priorities are computed; what-ifs."},
        {"name": "webhooks", "description": "Subscriptions to events, and their deliveries."},
        {"name": "imports", "description": "CSV imports of evidence and initiatives."},
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.forbid_nul_in_requests",
        "api.schema.close_request_objects",
        "api.schema.state_cross_field_rules",
        "api.schema.document_limits",
        "api.schema.type_nullable_references",
        "api.schema.name_parameter_enums",
        "apikeys.schema.document_keys_and_limits",
        "api.autoschema.problem_responses",
    ],
    # Several models have a `status`; give each enum a stable, readable name.
    "ENUM_NAME_OVERRIDES": {
        "ObjectiveStatusEnum": "okrs.models.Objective.Status",
        "InitiativeStatusEnum": "roadmap.models.Initiative.Status",
        # The statuses the ranking holds (the priorities' `status` filter).
        "RankedStatusEnum": "roadmap.models.Initiative.RANKED_STATUSES",
        "DeliveryStatusEnum": "roadmap.models.WebhookDelivery.Status",
        "WebhookEventEnum": "roadmap.models.WebhookSubscription.Event",
        "DeliveryEventEnum": "roadmap.models.webhooks.DELIVERY_EVENT_CHOICES",
        # The four WSJF inputs share SAFe's scale (1, 2, 3, 5, 8, 13, 20).
        "FibonacciEnum": "roadmap.models.initiatives.FIBONACCI_CHOICES",
        # Two fields are named "kind": a key result's and a score change's cause.
        "KindEnum": "okrs.models.KeyResult.Kind",
        "CauseKindEnum": "roadmap.services.causes.CAUSE_KINDS",
    },
}
