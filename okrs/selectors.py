"""OKR reads, shared by the HTML views and the API."""

from __future__ import annotations

from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.http import Http404

from access.roles import can_view
from audit.models import AuditEntry
from audit.selectors import audit_for_object
from okrs.models import CheckIn, KeyResult, Metric, MetricReading, Objective


def _can_view(viewer) -> bool:
    return can_view(viewer)


def objective_list(*, viewer, filters: dict | None = None) -> QuerySet[Objective]:
    """Objectives with their key results (and metrics) prefetched, company ones first."""
    filters = filters or {}
    qs = Objective.objects.select_related("owner", "parent").prefetch_related(
        Prefetch("key_results", queryset=KeyResult.objects.select_related("metric"))
    )
    if filters.get("period"):
        qs = qs.filter(period=filters["period"])
    if filters.get("team"):
        qs = qs.filter(team=filters["team"])
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    return qs if _can_view(viewer) else qs.none()


def objective_tree(*, viewer, filters: dict | None = None) -> list[tuple[Objective, int]]:
    """Objectives in tree order (company, then its team objectives) with their depth."""
    objectives = list(objective_list(viewer=viewer, filters=filters))
    children: dict[int | None, list[Objective]] = {}
    ids = {o.pk for o in objectives}
    for o in objectives:
        parent = o.parent_id if o.parent_id in ids else None
        children.setdefault(parent, []).append(o)
    out: list[tuple[Objective, int]] = []

    def walk(parent, depth):
        for o in children.get(parent, []):
            out.append((o, depth))
            walk(o.pk, depth + 1)

    walk(None, 0)
    return out


def objective_get_for_user(*, viewer, pk: int) -> Objective:
    try:
        return objective_list(viewer=viewer).get(pk=pk)
    except (Objective.DoesNotExist, ValueError, TypeError):
        raise Http404("No such objective.") from None


def key_result_list(*, viewer, filters: dict | None = None) -> QuerySet[KeyResult]:
    filters = filters or {}
    qs = KeyResult.objects.select_related("objective", "metric")
    if filters.get("objective"):
        qs = qs.filter(objective_id=filters["objective"])
    if filters.get("metric"):
        qs = qs.filter(metric__key=filters["metric"])
    return qs if _can_view(viewer) else qs.none()


def key_result_get_for_user(*, viewer, pk: int) -> KeyResult:
    try:
        return key_result_list(viewer=viewer).get(pk=pk)
    except (KeyResult.DoesNotExist, ValueError, TypeError):
        raise Http404("No such key result.") from None


def check_in_list(*, viewer, key_result: KeyResult) -> QuerySet[CheckIn]:
    qs = CheckIn.objects.filter(key_result=key_result).select_related("author")
    return qs if _can_view(viewer) else qs.none()


def metric_list(*, viewer) -> QuerySet[Metric]:
    qs = Metric.objects.all()
    return qs if _can_view(viewer) else qs.none()


def metric_overview(*, viewer) -> QuerySet[Metric]:
    """Metrics with their latest reading (`latest_value`, `latest_at`) and the key results
    tracking them (with their objectives), for the metrics page."""
    latest = MetricReading.objects.filter(metric=OuterRef("pk")).order_by("-observed_at", "-id")
    qs = Metric.objects.annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_at=Subquery(latest.values("observed_at")[:1]),
    ).prefetch_related(
        Prefetch(
            "key_results",
            queryset=KeyResult.objects.select_related("objective").order_by(
                "objective__title", "id"
            ),
        )
    )
    return qs if _can_view(viewer) else qs.none()


def objective_detail_get_for_user(*, viewer, pk: int) -> Objective:
    """One objective for its page: key results with metrics, child objectives, aligned count."""
    qs = (
        Objective.objects.select_related("owner", "parent")
        .prefetch_related(
            Prefetch("key_results", queryset=KeyResult.objects.select_related("metric")),
            Prefetch("children", queryset=Objective.objects.order_by("title")),
        )
        .annotate(
            aligned_total=Count("key_results__alignments__initiative", distinct=True),
        )
    )
    try:
        return (qs if _can_view(viewer) else qs.none()).get(pk=pk)
    except (Objective.DoesNotExist, ValueError, TypeError):
        raise Http404("No such objective.") from None


def objective_history(*, viewer, objective: Objective) -> QuerySet[AuditEntry]:
    """The objective's audit history with its key results' (filed under it), newest first."""
    if not _can_view(viewer):
        return AuditEntry.objects.none()
    return audit_for_object(instance=objective)


def metric_get_for_user(*, viewer, key: str) -> Metric:
    try:
        return metric_list(viewer=viewer).get(key=key)
    except Metric.DoesNotExist:
        raise Http404("No such metric.") from None


def reading_list(*, viewer, metric: Metric, limit: int | None = None) -> QuerySet[MetricReading]:
    qs = MetricReading.objects.filter(metric=metric).order_by("-observed_at", "-id")
    if limit:
        qs = qs[:limit]
    return qs if _can_view(viewer) else qs.none()


# A stand-in id, swapped for each real one in the compiled probe's parameters.
_PROBE_ID = -7_340_033


def _newest_of_each(newest: QuerySet, key: str, ids: list[int], per: int) -> list:
    """The first `per` rows of `newest` (newest first) for each value of `key` in `ids`.

    A LIMITed probe of the (key, newest-first) index per id, the probes joined
    by UNION ALL (each wrapped in a derived table: SQLite allows no LIMIT in a
    compound's arms), so the rows read are at most `per` per id however long
    the history (a window function would number, and so read, every row).
    """
    # Compiled once (Django's compiler costs ~0.5 ms a query: a third of the OKR
    # page for its 100 key results), then repeated with each id in its place.
    sql, probe_params = newest.filter(**{key: _PROBE_ID})[:per].query.sql_with_params()
    if probe_params.count(_PROBE_ID) != 1:
        raise AssertionError(f"cannot tell the id among the probe's parameters: {probe_params}")
    parts, params = [], []
    for n, pk in enumerate(ids):
        parts.append(f"SELECT * FROM ({sql}) AS probe{n}")  # noqa: S608 (Django's own SQL)
        params.extend(pk if p == _PROBE_ID else p for p in probe_params)
    return list(newest.model.objects.raw(" UNION ALL ".join(parts), params))


def readings_for_metrics(
    *, viewer, metric_ids, per_metric: int = 60
) -> dict[int, list[MetricReading]]:
    """The latest readings of several metrics in one query, oldest first per metric (charts).

    At most `per_metric` rows each are read (`_newest_of_each`).
    """
    ids = sorted({metric_id for metric_id in metric_ids if metric_id})
    if not ids or not _can_view(viewer):
        return {}
    out: dict[int, list[MetricReading]] = {metric_id: [] for metric_id in ids}
    newest = MetricReading.objects.order_by("-observed_at", "-id")
    for reading in _newest_of_each(newest, "metric_id", ids, per_metric):
        out[reading.metric_id].append(reading)
    return {
        metric_id: sorted(bucket, key=lambda r: (r.observed_at, r.id))
        for metric_id, bucket in out.items()
    }


def check_ins_for_key_results(*, viewer, key_result_ids, per_key_result: int = 30):
    """Recent check-ins of several key results, oldest first per key result, with authors.

    Two queries: at most `per_key_result` check-ins each (`_newest_of_each`),
    then their authors.
    """
    ids = sorted(set(key_result_ids))
    if not ids or not _can_view(viewer):
        return {}
    out: dict[int, list[CheckIn]] = {kr_id: [] for kr_id in ids}
    newest = CheckIn.objects.order_by("-checked_at", "-id")
    check_ins = _newest_of_each(newest, "key_result_id", ids, per_key_result)
    prefetch_related_objects(check_ins, "author")
    for check_in in check_ins:
        out[check_in.key_result_id].append(check_in)
    return {
        kr_id: sorted(bucket, key=lambda c: (c.checked_at, c.id)) for kr_id, bucket in out.items()
    }


def check_in_page(
    *, viewer, key_result: KeyResult, before: tuple | None = None, size: int = 20
) -> tuple[list[CheckIn], tuple | None]:
    """One page of a key result's check-ins, newest first, after the cursor `before`.

    `before` is the (checked_at, id) of the last row shown; the answer is the
    rows and the cursor of the next page (None on the last). Keyset paging on
    the (key_result, -checked_at, -id) index: the same cost on page 1 and 100.
    """
    qs = check_in_list(viewer=viewer, key_result=key_result).order_by("-checked_at", "-id")
    if before is not None:
        at, pk = before
        qs = qs.filter(checked_at__lte=at).filter(
            Q(checked_at__lt=at) | Q(checked_at=at, id__lt=pk)
        )
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return rows, ((rows[-1].checked_at, rows[-1].pk) if more else None)


def objective_periods(*, viewer) -> list[str]:
    if not _can_view(viewer):
        return []
    return list(Objective.objects.order_by("period").values_list("period", flat=True).distinct())


def objective_child_counts(*, viewer, objective_ids) -> dict[int, int]:
    """How many child objectives (cancelled ones aside) each objective rolls up; one query."""
    ids = set(objective_ids)
    if not ids or not _can_view(viewer):
        return {}
    rows = (
        Objective.objects.filter(parent_id__in=ids)
        .exclude(status=Objective.Status.CANCELLED)
        .values("parent_id")
        .annotate(n=Count("id"))
        .values_list("parent_id", "n")
    )
    return dict(rows)


def objective_team_labels(*, viewer) -> dict[int, str]:
    """Each objective's label (its team, "Company" or "Team"; see Objective.team_label): one
    query, for pages that list objectives from aggregated rows (the alignment views)."""
    if not _can_view(viewer):
        return {}
    return {
        pk: Objective(team=team, parent_id=parent_id).team_label
        for pk, team, parent_id in Objective.objects.values_list("id", "team", "parent_id")
    }
