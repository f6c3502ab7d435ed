"""Who may do what: every API route and page, by method, with the roles allowed.

Data for tests/security/test_role_matrix.py. Each entry is
(roles allowed, path with {placeholders}, body or None); a placeholder is
filled with an object of the test's world.
"""

ROLES = ["anonymous", "no_role", "marketing", "integration", "product", "superuser"]
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
READERS = frozenset({"marketing", "integration", "product", "superuser"})
PRODUCT = frozenset({"product", "superuser"})
EVIDENCE_API = READERS  # every role may push evidence over the API
READINGS = frozenset({"integration", "product", "superuser"})
WEBHOOKS = frozenset({"integration", "product", "superuser"})
EVIDENCE_BROWSER = frozenset({"marketing", "product", "superuser"})  # integration: API only
ALIGNMENT_PAGE = frozenset({"marketing", "product", "superuser"})  # for marketing reviews
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]

# The scoring settings form as the page posts it (the policy's defaults, version 1).
SCORING_FORM = {
    "version": "1",
    "framework": "rice",
    "formula": "",
    "alignment_weight": "1",
    "unaligned_factor": "1",
    "importance_nice_to_have": "1",
    "importance_important": "1",
    "importance_critical": "1",
    "revenue_weight": "0",
    "experiment_confidence": "",
    "half_life_days": "90",
}
# Allowed API writes that write nothing (what-if previews).
API_NO_WRITE = {("scoring-policy-preview", "POST")}

# --- The API ------------------------------------------------------------------
# (route name, method): (who may, path, JSON body). Paths name objects of `world`.
API = {
    ("api-root", "GET"): (READERS, "/api/v1/", None),
    # The API's description holds no data; integrators read it before they have a token.
    ("schema", "GET"): (EVERYONE, "/api/schema/", None),
    ("api-docs", "GET"): (EVERYONE, "/api/docs/", None),
    ("alignment-matrix", "GET"): (READERS, "/api/v1/alignment/matrix/", None),
    ("alignment-unaligned", "GET"): (READERS, "/api/v1/alignment/unaligned/", None),
    ("alignment-unserved", "GET"): (READERS, "/api/v1/alignment/unserved/", None),
    ("alignment-effort", "GET"): (READERS, "/api/v1/alignment/effort/", None),
    ("alignment-segments", "GET"): (READERS, "/api/v1/alignment/segments/", None),
    ("objective-list", "GET"): (READERS, "/api/v1/objectives/", None),
    ("objective-list", "POST"): (
        PRODUCT,
        "/api/v1/objectives/",
        {"title": "New objective", "period": "2026-Q4"},
    ),
    ("objective-detail", "GET"): (READERS, "/api/v1/objectives/{objective}/", None),
    ("objective-detail", "PUT"): (
        PRODUCT,
        "/api/v1/objectives/{objective}/",
        {"title": "Renamed", "period": "2026-Q4"},
    ),
    ("objective-detail", "PATCH"): (
        PRODUCT,
        "/api/v1/objectives/{objective}/",
        {"title": "Renamed"},
    ),
    ("objective-detail", "DELETE"): (PRODUCT, "/api/v1/objectives/{spare_objective}/", None),
    ("objective-history", "GET"): (READERS, "/api/v1/objectives/{objective}/history/", None),
    ("key-result-list", "GET"): (READERS, "/api/v1/key-results/", None),
    ("key-result-list", "POST"): (
        PRODUCT,
        "/api/v1/key-results/",
        {"objective": "{objective}", "title": "New KR", "start": 0, "target": 10},
    ),
    ("key-result-detail", "GET"): (READERS, "/api/v1/key-results/{kr}/", None),
    ("key-result-detail", "PUT"): (
        PRODUCT,
        "/api/v1/key-results/{kr}/",
        {"objective": "{objective}", "title": "Renamed", "start": 0, "target": 10},
    ),
    ("key-result-detail", "PATCH"): (PRODUCT, "/api/v1/key-results/{kr}/", {"title": "Renamed"}),
    ("key-result-detail", "DELETE"): (PRODUCT, "/api/v1/key-results/{kr}/", None),
    ("key-result-history", "GET"): (READERS, "/api/v1/key-results/{kr}/history/", None),
    ("key-result-check-ins", "GET"): (READERS, "/api/v1/key-results/{kr}/check-ins/", None),
    ("key-result-check-ins", "POST"): (
        PRODUCT,
        "/api/v1/key-results/{kr}/check-ins/",
        {"value": 50, "confidence": "on_track"},
    ),
    ("metric-list", "GET"): (READERS, "/api/v1/metrics/", None),
    ("metric-list", "POST"): (
        PRODUCT,
        "/api/v1/metrics/",
        {"key": "dau", "name": "Daily active users"},
    ),
    ("metric-detail", "GET"): (READERS, "/api/v1/metrics/nps/", None),
    ("metric-detail", "PUT"): (PRODUCT, "/api/v1/metrics/nps/", {"name": "Renamed"}),
    ("metric-detail", "PATCH"): (PRODUCT, "/api/v1/metrics/nps/", {"name": "Renamed"}),
    ("metric-detail", "DELETE"): (PRODUCT, "/api/v1/metrics/spare/", None),
    ("metric-readings", "GET"): (READERS, "/api/v1/metrics/nps/readings/", None),
    ("metric-readings", "POST"): (READINGS, "/api/v1/metrics/nps/readings/", {"value": 42}),
    ("initiative-list", "GET"): (READERS, "/api/v1/initiatives/", None),
    ("initiative-list", "POST"): (PRODUCT, "/api/v1/initiatives/", {"title": "New"}),
    ("initiative-detail", "GET"): (READERS, "/api/v1/initiatives/{initiative}/", None),
    ("initiative-detail", "PUT"): (
        PRODUCT,
        "/api/v1/initiatives/{initiative}/",
        {"title": "Renamed"},
    ),
    ("initiative-detail", "PATCH"): (
        PRODUCT,
        "/api/v1/initiatives/{initiative}/",
        {"title": "Renamed"},
    ),
    ("initiative-detail", "DELETE"): (PRODUCT, "/api/v1/initiatives/{initiative}/", None),
    ("initiative-history", "GET"): (READERS, "/api/v1/initiatives/{initiative}/history/", None),
    ("priority-list", "GET"): (READERS, "/api/v1/priorities/", None),
    ("priorities-export", "GET"): (READERS, "/api/v1/priorities/export.csv", None),
    # A str body is sent as text/csv.
    ("import-evidence", "POST"): (
        EVIDENCE_API,
        "/api/v1/imports/evidence/",
        "source,text,external_id\nsupport,From a CSV file,csv-1\n",
    ),
    ("import-initiatives", "POST"): (
        PRODUCT,
        "/api/v1/imports/initiatives/",
        "title,external_id\nImported from CSV,csv-1\n",
    ),
    ("priority-history", "GET"): (READERS, "/api/v1/priorities/{initiative}/history/", None),
    ("scoring-policy", "GET"): (READERS, "/api/v1/scoring-policy/", None),
    ("scoring-policy", "PUT"): (PRODUCT, "/api/v1/scoring-policy/", {"alignment_weight": 2}),
    ("scoring-policy", "PATCH"): (PRODUCT, "/api/v1/scoring-policy/", {"unaligned_factor": 0.5}),
    ("scoring-policy-preview", "POST"): (
        PRODUCT,
        "/api/v1/scoring-policy/preview/",
        {"policy": {"framework": "ice"}},
    ),
    ("evidence-experiment", "GET"): (READERS, "/api/v1/evidence/{experiment}/experiment/", None),
    ("evidence-experiment", "PUT"): (
        PRODUCT,
        "/api/v1/evidence/{experiment}/experiment/",
        {"lift": 4.2, "p_value": 0.01},
    ),
    ("evidence-experiment", "PATCH"): (
        PRODUCT,
        "/api/v1/evidence/{experiment}/experiment/",
        {"metric": "activation"},
    ),
    ("alignment-list", "GET"): (READERS, "/api/v1/alignments/", None),
    ("alignment-list", "POST"): (
        PRODUCT,
        "/api/v1/alignments/",
        {"initiative": "{initiative}", "key_result": "{spare_kr}", "contribution": "weak"},
    ),
    ("alignment-detail", "GET"): (READERS, "/api/v1/alignments/{alignment}/", None),
    ("alignment-detail", "PUT"): (
        PRODUCT,
        "/api/v1/alignments/{alignment}/",
        {"contribution": "weak"},
    ),
    ("alignment-detail", "PATCH"): (
        PRODUCT,
        "/api/v1/alignments/{alignment}/",
        {"contribution": "weak"},
    ),
    ("alignment-detail", "DELETE"): (PRODUCT, "/api/v1/alignments/{alignment}/", None),
    ("evidence-list", "GET"): (READERS, "/api/v1/evidence/", None),
    ("evidence-list", "POST"): (
        EVIDENCE_API,
        "/api/v1/evidence/",
        {"source": "interview", "text": "Needs SSO"},
    ),
    ("evidence-detail", "GET"): (READERS, "/api/v1/evidence/{evidence}/", None),
    ("evidence-detail", "PATCH"): (
        PRODUCT,
        "/api/v1/evidence/{evidence}/",
        {"initiative": "{initiative}"},
    ),
    ("evidence-detail", "DELETE"): (PRODUCT, "/api/v1/evidence/{evidence}/", None),
    ("customer-list", "GET"): (READERS, "/api/v1/customers/", None),
    ("customer-list", "POST"): (PRODUCT, "/api/v1/customers/", {"name": "Acme"}),
    ("customer-detail", "GET"): (READERS, "/api/v1/customers/{customer}/", None),
    ("customer-detail", "PUT"): (PRODUCT, "/api/v1/customers/{customer}/", {"name": "Renamed"}),
    ("customer-detail", "PATCH"): (PRODUCT, "/api/v1/customers/{customer}/", {"name": "Renamed"}),
    ("customer-detail", "DELETE"): (PRODUCT, "/api/v1/customers/{customer}/", None),
    ("segment-list", "GET"): (READERS, "/api/v1/segments/", None),
    ("segment-list", "POST"): (PRODUCT, "/api/v1/segments/", {"name": "Mid-market"}),
    ("segment-detail", "GET"): (READERS, "/api/v1/segments/{segment}/", None),
    ("segment-detail", "PUT"): (
        PRODUCT,
        "/api/v1/segments/{segment}/",
        {"name": "Renamed", "weight": 2},
    ),
    ("segment-detail", "PATCH"): (PRODUCT, "/api/v1/segments/{segment}/", {"weight": 2}),
    ("segment-detail", "DELETE"): (PRODUCT, "/api/v1/segments/{segment}/", None),
    ("webhook-list", "GET"): (WEBHOOKS, "/api/v1/webhooks/", None),
    ("webhook-list", "POST"): (
        WEBHOOKS,
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/new", "events": ["priority.changed"]},
    ),
    ("webhook-detail", "GET"): (WEBHOOKS, "/api/v1/webhooks/{webhook}/", None),
    ("webhook-detail", "PUT"): (
        WEBHOOKS,
        "/api/v1/webhooks/{webhook}/",
        {"url": "http://127.0.0.1:9/moved", "events": ["priority.changed"]},
    ),
    ("webhook-detail", "PATCH"): (WEBHOOKS, "/api/v1/webhooks/{webhook}/", {"active": False}),
    ("webhook-detail", "DELETE"): (WEBHOOKS, "/api/v1/webhooks/{webhook}/", None),
    ("webhook-deliveries", "GET"): (WEBHOOKS, "/api/v1/webhooks/{webhook}/deliveries/", None),
    ("webhook-replay", "POST"): (
        WEBHOOKS,
        "/api/v1/webhooks/{webhook}/deliveries/{delivery}/replay/",
        None,
    ),
    ("webhook-ping", "POST"): (WEBHOOKS, "/api/v1/webhooks/{webhook}/ping/", None),
    ("webhook-rotate-secret", "POST"): (WEBHOOKS, "/api/v1/webhooks/{webhook}/rotate-secret/", {}),
}

# --- The pages ----------------------------------------------------------------
# route name: {method: (who may, path, form data)}. A method not listed is allowed to nobody.
PAGES = {
    "roadmap:home": {"GET": (READERS, "/", None)},
    "roadmap:board": {"GET": (READERS, "/roadmap/", None)},
    "roadmap:board-lane": {"GET": (READERS, "/roadmap/lanes/now/?offset=0", None)},
    "roadmap:timeline": {"GET": (READERS, "/roadmap/timeline/", None)},
    "roadmap:capacity": {
        "GET": (PRODUCT, "/roadmap/timeline/capacity/?start=2026-Q1", None),
        "POST": (
            PRODUCT,
            "/roadmap/timeline/capacity/?start=2026-Q1",
            {"new_team": "Platform", "c0_2026-Q2": "4"},
        ),
    },
    "roadmap:initiative-schedule": {
        "POST": (
            PRODUCT,
            "/initiatives/{initiative}/schedule/",
            {"start_quarter": "2026-Q3", "end_quarter": "2026-Q4", "version": "{version}"},
        )
    },
    "roadmap:priorities": {"GET": (READERS, "/priorities/", None)},
    "roadmap:priorities-export": {"GET": (READERS, "/priorities/export.csv", None)},
    # Without a file the upload form answers with its error: nothing is written.
    "roadmap:import": {
        "GET": (EVIDENCE_BROWSER, "/imports/evidence/", None),
        "POST": (EVIDENCE_BROWSER, "/imports/evidence/", None),
    },
    # No upload of this session under the token: back to the upload page.
    "roadmap:import-map": {
        "GET": (EVIDENCE_BROWSER, "/imports/evidence/no-such-upload/", None),
        "POST": (EVIDENCE_BROWSER, "/imports/evidence/no-such-upload/", {"action": "import"}),
    },
    "roadmap:initiative-timeline": {"GET": (READERS, "/initiatives/{initiative}/timeline/", None)},
    "roadmap:snapshot-compare": {
        "GET": (READERS, "/initiatives/{initiative}/compare/?s={snapshot}&s={snapshot}", None)
    },
    "roadmap:priority-row": {"GET": (READERS, "/priorities/{initiative}/row/", None)},
    "roadmap:priority-edit": {
        "GET": (PRODUCT, "/priorities/{initiative}/edit/", None),
        "POST": (
            PRODUCT,
            "/priorities/{initiative}/edit/",
            {"reach": 70, "impact": "2.0", "confidence": 80, "effort": 2, "version": "{version}"},
        ),
    },
    "roadmap:initiative-new": {
        "GET": (PRODUCT, "/initiatives/new/", None),
        "POST": (PRODUCT, "/initiatives/new/", "initiative_form"),
    },
    "roadmap:initiative": {
        "GET": (READERS, "/initiatives/{initiative}/", None),
        "POST": (PRODUCT, "/initiatives/{initiative}/", "initiative_form"),
    },
    "roadmap:initiative-move": {
        "POST": (
            PRODUCT,
            "/initiatives/{initiative}/move/",
            {"lane": "now", "version": "{version}"},
        )
    },
    "roadmap:breakdown": {"GET": (READERS, "/initiatives/{initiative}/breakdown/", None)},
    "roadmap:alignment-add": {
        "POST": (
            PRODUCT,
            "/initiatives/{initiative}/alignments/",
            {"key_result": "{spare_kr}", "contribution": "weak"},
        )
    },
    "roadmap:alignment-change": {
        "POST": (
            PRODUCT,
            "/initiatives/{initiative}/alignments/{alignment}/",
            {"contribution": "weak"},
        )
    },
    "roadmap:alignment-remove": {
        "POST": (PRODUCT, "/initiatives/{initiative}/alignments/{alignment}/remove/", {})
    },
    "roadmap:inbox": {"GET": (READERS, "/evidence/", None)},
    "roadmap:evidence-link": {
        "POST": (
            PRODUCT,
            "/evidence/link/",
            {"evidence": "{evidence}", "initiative": "{initiative}"},
        )
    },
    "roadmap:evidence-add": {
        "POST": (
            EVIDENCE_BROWSER,
            "/evidence/add/",
            {"text": "Wants SAML", "source": "interview", "importance": "important"},
        )
    },
    "roadmap:evidence-bulk": {
        "POST": (
            PRODUCT,
            "/evidence/bulk/",
            {"action": "dismiss", "reason": "spam", "evidence": "{evidence}"},
        )
    },
    "roadmap:evidence-edit": {
        "GET": (PRODUCT, "/evidence/{evidence}/edit/", None),
        "POST": (
            PRODUCT,
            "/evidence/{evidence}/edit/",
            {
                "text": "Wants SAML",
                "source": "sales",
                "importance": "critical",
                "score": "",
                "customer": "",
                "received_at": "2026-11-01T10:00",
            },
        ),
    },
    "roadmap:pick-initiatives": {
        "GET": (READERS, "/evidence/pick/initiatives/?initiative_term=s", None)
    },
    "roadmap:pick-customers": {"GET": (READERS, "/evidence/pick/customers/?customer_term=i", None)},
    "roadmap:evidence-to-initiative": {
        "POST": (PRODUCT, "/evidence/{evidence}/to-initiative/", {"title": "From feedback"})
    },
    "roadmap:alignment": {"GET": (ALIGNMENT_PAGE, "/alignment/", None)},
    "roadmap:webhooks": {
        "GET": (PRODUCT, "/webhooks/", None),
        "POST": (
            PRODUCT,
            "/webhooks/",
            {"url": "http://127.0.0.1:9/page", "events": ["priority.changed"]},
        ),
    },
    "roadmap:webhook": {
        "GET": (PRODUCT, "/webhooks/{webhook}/", None),
        "POST": (
            PRODUCT,
            "/webhooks/{webhook}/",
            {"url": "http://127.0.0.1:9/edited", "events": ["initiative.created"]},
        ),
    },
    "roadmap:webhook-enable": {"POST": (PRODUCT, "/webhooks/{webhook}/enable/", {})},
    "roadmap:webhook-delete": {"POST": (PRODUCT, "/webhooks/{webhook}/delete/", {})},
    "roadmap:webhook-rotate": {"POST": (PRODUCT, "/webhooks/{webhook}/rotate-secret/", {})},
    "roadmap:webhook-ping": {"POST": (PRODUCT, "/webhooks/{webhook}/ping/", {})},
    "roadmap:webhook-replay": {
        "POST": (PRODUCT, "/webhooks/{webhook}/deliveries/{delivery}/replay/", {})
    },
    "roadmap:alignment-export": {"GET": (ALIGNMENT_PAGE, "/alignment/export/matrix.csv", None)},
    "okrs:index": {"GET": (READERS, "/okrs/", None)},
    "okrs:check-in": {
        "POST": (
            PRODUCT,
            "/okrs/key-results/{kr}/check-in/",
            {"kr{kr}-value": 50, "kr{kr}-confidence": "on_track"},
        )
    },
    "okrs:objective-new": {
        "GET": (PRODUCT, "/okrs/objectives/new/", None),
        "POST": (
            PRODUCT,
            "/okrs/objectives/new/",
            {"title": "New objective", "period": "", "weight": 1, "status": "active"},
        ),
    },
    "okrs:objective": {
        "GET": (READERS, "/okrs/objectives/{objective}/", None),
        "POST": (
            PRODUCT,
            "/okrs/objectives/{objective}/",
            {
                "title": "Renamed",
                "period": "2026-Q4",
                "weight": 2,
                "status": "active",
                "version": "{objective_version}",
            },
        ),
    },
    "okrs:objective-delete": {"POST": (PRODUCT, "/okrs/objectives/{spare_objective}/delete/", {})},
    "okrs:objective-preview": {
        "POST": (
            PRODUCT,
            "/okrs/objectives/{objective}/preview/",
            {
                "title": "Renamed",
                "period": "2026-Q4",
                "weight": 3,
                "rollup_weight": 1,
                "status": "active",
                "version": "{objective_version}",
            },
        )
    },
    "okrs:key-result-add": {
        "POST": (
            PRODUCT,
            "/okrs/objectives/{objective}/key-results/",
            {"title": "New KR", "kind": "increase", "start": 0, "target": 10, "weight": 1},
        )
    },
    "okrs:key-result": {"GET": (READERS, "/okrs/key-results/{kr}/", None)},
    "okrs:key-result-check-ins": {"GET": (READERS, "/okrs/key-results/{kr}/check-ins/", None)},
    "okrs:key-result-chart": {"GET": (READERS, "/okrs/key-results/{kr}/chart/", None)},
    "audit:activity": {"GET": (ALIGNMENT_PAGE, "/activity/", None)},  # product and marketing
    "saved_views:list": {"GET": (READERS, "/views/", None)},
    "saved_views:save": {
        "POST": (
            READERS,
            "/views/save/",
            {"page": "priorities", "name": "Mine", "query": "lane=now"},
        )
    },
    "saved_views:open": {"GET": (READERS, "/views/{saved_view}/", None)},
    # Product's shared view: its owner (and staff) may delete it, nobody else.
    "saved_views:delete": {"POST": (PRODUCT, "/views/{saved_view}/delete/", {})},
    "okrs:key-result-edit": {
        "GET": (PRODUCT, "/okrs/key-results/{kr}/edit/", None),
        "POST": (
            PRODUCT,
            "/okrs/key-results/{kr}/edit/",
            {
                "objective": "{objective}",
                "title": "Renamed",
                "kind": "increase",
                "start": 0,
                "target": 10,
                "current": 5,
                "weight": 1,
                "metric": "",
                "version": "{kr_version}",
            },
        ),
    },
    "okrs:key-result-preview": {
        "POST": (
            PRODUCT,
            "/okrs/key-results/{kr}/preview/",
            {
                "objective": "{objective}",
                "title": "Renamed",
                "kind": "increase",
                "start": 0,
                "target": 10,
                "current": 5,
                "weight": 1,
                "metric": "",
                "version": "{kr_version}",
            },
        )
    },
    "okrs:key-result-delete": {"POST": (PRODUCT, "/okrs/key-results/{spare_kr}/delete/", {})},
    "okrs:metrics": {"GET": (READERS, "/okrs/metrics/", None)},
    "okrs:metric-add": {
        "POST": (
            PRODUCT,
            "/okrs/metrics/add/",
            {"key": "dau", "name": "Daily active users", "direction": "increase"},
        )
    },
    "okrs:metric": {"GET": (READERS, "/okrs/metrics/nps/", None)},
    "okrs:metric-edit": {
        "GET": (PRODUCT, "/okrs/metrics/nps/edit/", None),
        "POST": (
            PRODUCT,
            "/okrs/metrics/nps/edit/",
            {"name": "Renamed", "direction": "increase", "fingerprint": "{metric_fingerprint}"},
        ),
    },
    "okrs:metric-delete": {"POST": (PRODUCT, "/okrs/metrics/spare/delete/", {})},
    "roadmap:customers": {"GET": (READERS, "/customers/", None)},
    "roadmap:scoring-settings": {
        "GET": (READERS, "/scoring/", None),
        "POST": (PRODUCT, "/scoring/", {**SCORING_FORM, "framework": "ice"}),
    },
    "roadmap:scoring-preview": {"POST": (PRODUCT, "/scoring/preview/", SCORING_FORM)},
    "roadmap:initiative-preview": {
        "POST": (PRODUCT, "/initiatives/{initiative}/preview/", "initiative_form")
    },
    "roadmap:customer-add": {
        "POST": (PRODUCT, "/customers/add/", {"name": "Acme", "annual_revenue": 0})
    },
    "roadmap:customer": {"GET": (READERS, "/customers/{customer}/", None)},
    "roadmap:customer-edit": {
        "GET": (PRODUCT, "/customers/{customer}/edit/", None),
        "POST": (
            PRODUCT,
            "/customers/{customer}/edit/",
            {
                "name": "Renamed",
                "segment": "{segment}",
                "annual_revenue": 0,
                "fingerprint": "{customer_fingerprint}",
            },
        ),
    },
    "roadmap:customer-delete": {"POST": (PRODUCT, "/customers/{customer}/delete/", {})},
    "roadmap:segment-add": {
        "POST": (PRODUCT, "/customers/segments/add/", {"name": "SMB", "weight": 1})
    },
    "roadmap:segment": {"GET": (READERS, "/customers/segments/{segment}/", None)},
    "roadmap:segment-edit": {
        "GET": (PRODUCT, "/customers/segments/{segment}/edit/", None),
        "POST": (
            PRODUCT,
            "/customers/segments/{segment}/edit/",
            {"name": "Renamed", "weight": 2, "fingerprint": "{segment_fingerprint}"},
        ),
    },
    "roadmap:segment-delete": {"POST": (PRODUCT, "/customers/segments/{segment}/delete/", {})},
    # API keys of integration accounts: product manages them (apikeys/).
    "apikeys:index": {"GET": (PRODUCT, "/settings/api-keys/", None)},
    "apikeys:new": {
        "POST": (
            PRODUCT,
            "/settings/api-keys/new/",
            {"user": "{integration_user}", "name": "CRM", "scopes": "read"},
        )
    },
    "apikeys:revoke": {"POST": (PRODUCT, "/settings/api-keys/{api_key}/revoke/", {})},
    # Probes for load balancers and monitoring: public, and they show no workspace data.
    "ops:healthz": {"GET": (EVERYONE, "/healthz", None)},
    "ops:readyz": {"GET": (EVERYONE, "/readyz", None)},
    # Open without a token in tests and development; production needs METRICS_TOKEN (tests/ops).
    "ops:metrics": {"GET": (EVERYONE, "/metrics", None)},
    # Account pages: the login page is the one thing anonymous visitors get.
    "login": {
        "GET": (EVERYONE, "/accounts/login/", None),
        "POST": (EVERYONE, "/accounts/login/", {"username": "x", "password": "y"}),
    },
    "logout": {"POST": (EVERYONE, "/accounts/logout/", {})},
    "password_change": {
        "GET": (SIGNED_IN, "/accounts/password_change/", None),
        "POST": (SIGNED_IN, "/accounts/password_change/", {}),
    },
    "password_change_done": {"GET": (SIGNED_IN, "/accounts/password_change/done/", None)},
    # Password reset: a form and its "sent" pages; it tells nobody whether an address exists.
    "password_reset": {
        "GET": (EVERYONE, "/accounts/password_reset/", None),
        "POST": (EVERYONE, "/accounts/password_reset/", {"email": "nobody@example.com"}),
    },
    "password_reset_done": {"GET": (EVERYONE, "/accounts/password_reset/done/", None)},
    "password_reset_confirm": {"GET": (EVERYONE, "/accounts/reset/MQ/bad-token/", None)},
    "password_reset_complete": {"GET": (EVERYONE, "/accounts/reset/done/", None)},
}
# Account forms posted here with data that is refused or changes no workspace row.
NO_WRITE = {
    ("roadmap:import", "POST"),
    ("roadmap:import-map", "POST"),
    ("roadmap:scoring-preview", "POST"),  # a what-if: answers, writes nothing
    ("roadmap:initiative-preview", "POST"),
    ("okrs:objective-preview", "POST"),
    ("okrs:key-result-preview", "POST"),
    ("login", "POST"),
    ("logout", "POST"),
    ("password_change", "POST"),
    ("password_reset", "POST"),
}
